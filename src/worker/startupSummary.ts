import type { ClientPool } from './clients';
import { describeConnection, resolveConnection } from './connection';
import { entityPath, planWarnings } from './functionPlan';
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
    functionTimeoutMs: host.functionTimeoutMs,
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
      autoCompleteMessages: fn.autoCompleteMessages,
      ...(fn.cardinality === 'many' ? { maxMessageBatchSize: fn.maxMessageBatchSize } : {}),
      outputs: fn.outputs.map((o) => `${o.bindingName} -> ${o.entityKind} ${o.entityName}`),
      ...(fn.unsupportedOutputs.length > 0 ? { ignoredOutputs: fn.unsupportedOutputs } : {}),
      ...(fn.ignoredRetry !== undefined ? { ignoredRetry: fn.ignoredRetry } : {}),
    })),
    skipped: config.plan.skipped,
  };
}

function connectionSource(config: WorkerConfiguration, name: string): unknown {
  if (config.embedded) return 'embedded emulator';
  const connection = resolveConnection(name, config.settings.values);
  return connection === undefined ? 'missing' : describeConnection(connection);
}

export function logStartup(config: WorkerConfiguration, clients: ClientPool): void {
  const { logger, plan } = config;
  logger.info(
    `Loaded ${plan.functions.length} Service Bus function(s) from ${config.appDir}`,
    describeConfiguration(config, clients),
  );
  for (const warning of planWarnings(plan)) logger.warn(warning.message, warning.fields);
}
