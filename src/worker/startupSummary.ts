import type { ClientPool } from './clients';
import { describeConnection, resolveConnection } from './connection';
import { entityPath } from './functionPlan';
import { drainOutlastsDynoWarnings } from './dynoWarnings';
import { planWarnings } from './planWarnings';
import { settingWarnings } from './settingWarnings';
import { describeLogLevels, type WorkerLogLevels } from './logLevels';
import type { WorkerConfiguration } from './runtime';

/** The start-up summary: functions, entities, settings in effect; never a secret. */
export function describeConfiguration(
  config: WorkerConfiguration,
  clients?: ClientPool,
): Record<string, unknown> {
  const { host } = config;
  return {
    appDir: config.appDir,
    main: config.app.mainPattern,
    settingsFiles: config.settings.files,
    hostJson: host.hostJsonPath,
    overrides: host.overrides,
    ...(host.ignoredOverrides.length > 0 ? { ignoredOverrides: host.ignoredOverrides } : {}),
    ...(host.unappliedKeys.length > 0 ? { unappliedKeys: host.unappliedKeys } : {}),
    functionTimeoutMs: host.functionTimeoutMs,
    logLevels: describeLogLevels(
      config.logLevels,
      config.plan.functions.map((fn) => fn.name),
    ),
    serviceBus: host.serviceBus,
    functions: config.plan.functions.map((fn) => ({
      name: fn.name,
      entity: entityPath(fn.entity),
      connection: fn.connectionName,
      connectionSource:
        clients === undefined
          ? connectionSource(config, fn.connectionName)
          : clients.describe(fn.connectionName),
      sessions: fn.isSessionsEnabled,
      cardinality: fn.cardinality,
      // null: the function sets none, so a single body arrives parsed as JSON where it can be.
      dataType: fn.dataType ?? null,
      autoCompleteMessages: fn.autoCompleteMessages,
      ...(fn.cardinality === 'many' ? { maxMessageBatchSize: fn.maxMessageBatchSize } : {}),
      outputs: fn.outputs.map((o) => `${o.bindingName} -> ${o.entityKind} ${o.entityName}`),
      ...(fn.unsupportedOutputs.length > 0 ? { ignoredOutputs: fn.unsupportedOutputs } : {}),
      ...(fn.ignoredRetry !== undefined ? { ignoredRetry: fn.ignoredRetry } : {}),
    })),
    skipped: config.plan.skipped,
  };
}

/** What start-up warns about (each also a log line when the worker starts). */
export function startupWarnings(
  config: WorkerConfiguration,
): Array<{ message: string; fields: Record<string, unknown> }> {
  const { ignoredOverrides, unappliedKeys } = config.host;
  return [
    ...config.settings.warnings.map((message) => ({ message, fields: {} })),
    ...settingWarnings(config.settings, usedConnectionNames(config)),
    ...listWarning(
      'AzureFunctionsJobHost__ settings ignored, as the Functions host ignores them: a value' +
        " set on a section (host.json's section stays), or a key under a setting",
      { settings: ignoredOverrides },
    ),
    ...listWarning(
      'host.json extensions.serviceBus keys this worker does not apply (settings only the' +
        ' Functions host applies, or misspelled names)',
      { keys: unappliedKeys },
    ),
    ...planWarnings(config.plan),
    ...logLevelWarnings(config.logLevels),
    ...drainOutlastsDynoWarnings(config.settings.values),
  ];
}

/** The connection names of the functions' triggers and outputs. */
function usedConnectionNames(config: WorkerConfiguration): string[] {
  const names = config.plan.functions.flatMap((fn) => [
    fn.connectionName,
    ...fn.outputs.map((output) => output.connectionName),
  ]);
  return [...new Set(names)];
}

/** One warning naming a list, or none when the list is empty. */
function listWarning(message: string, fields: Record<string, string[]>) {
  const empty = Object.values(fields).every((list) => list.length === 0);
  return empty ? [] : [{ message, fields }];
}

function connectionSource(config: WorkerConfiguration, name: string): unknown {
  // The same shape as a run's summary; `--check` starts no emulator, so there is no port yet.
  if (config.embedded) {
    return {
      namespace: '127.0.0.1 (started when the worker runs)',
      auth: 'sas',
      setting: 'embedded emulator',
    };
  }
  const connection = resolveConnection(name, config.settings.values, config.settings.sources);
  return connection === undefined ? 'missing' : describeConnection(connection);
}

export function logStartup(config: WorkerConfiguration, clients: ClientPool): void {
  const { logger, plan } = config;
  logger.info(
    `Loaded ${plan.functions.length} Service Bus function(s) from ${config.appDir}`,
    describeConfiguration(config, clients),
  );
  for (const warning of startupWarnings(config)) logger.warn(warning.message, warning.fields);
}

/** So that nobody loses lines without a word: the host.json levels the worker does not apply. */
function logLevelWarnings(
  levels: WorkerLogLevels,
): Array<{ message: string; fields: Record<string, unknown> }> {
  const warnings = [];
  if (levels.notApplied.length > 0) {
    warnings.push({
      message:
        `host.json logging.logLevel ${levels.notApplied.join(', ')} not applied: the worker ` +
        'applies only default and the categories of its functions (Function.<name> for the ' +
        'invocation lines, Function.<name>.User for context.log)',
      fields: { categories: levels.notApplied },
    });
  }
  if (levels.overridden.length > 0) {
    warnings.push({
      message:
        `host.json logging.logLevel ${levels.overridden.join(', ')} not applied: LOG_LEVEL ` +
        `sets the level of every line (${levels.default})`,
      fields: { categories: levels.overridden, logLevel: levels.default },
    });
  }
  return warnings;
}
