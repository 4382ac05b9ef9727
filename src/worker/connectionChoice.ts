import type { AppSettings } from '../shared/appSettings';
import { ConfigError } from '../shared/errors';
import { configurationKey } from '../shared/settingKeys';
import { connectionCandidates, missingConnectionError, resolveConnection } from './connection';
import { embeddedRefusal, embeddedRefusedError } from './embedded';
import type { FunctionPlan } from './functionPlan';

/**
 * Decides between the configured namespace and the embedded emulator, before anything
 * connects (so `--check` fails exactly where a run would). The embedded emulator is for a
 * machine with no Service Bus connection at all: a connection configured under another name
 * than a function asks for is a typo to report, not a reason to run a private broker that
 * nobody sends to.
 *
 * @returns whether to start the embedded emulator.
 * @throws ConfigError naming the missing setting (and what is configured instead).
 */
export function chooseEmbedded(connectionNames: string[], settings: AppSettings): boolean {
  const missing = connectionNames.filter(
    (name) => resolveConnection(name, settings.values, settings.sources) === undefined,
  );
  const [firstMissing] = missing;
  if (firstMissing === undefined) {
    checkIdentityOnDyno(connectionNames, settings);
    return false;
  }
  for (const name of missing) checkNamespaceMissing(name, settings.values);

  // Some functions' connections resolve and some do not: the app is partly configured.
  if (missing.length < connectionNames.length) throw missingConnectionError(firstMissing);

  const configured = configuredConnectionSettings(settings.values);
  if (configured.length > 0) {
    throw new ConfigError(
      `${missingConnectionError(firstMissing).message}, but ${configured.join(', ')} ` +
        `${configured.length === 1 ? 'holds' : 'hold'} a Service Bus connection: is the ` +
        "function's connection name, or that setting's name, mistyped? The embedded emulator " +
        'starts only when no connection is configured at all.',
    );
  }

  const refusal = embeddedRefusal(settings.values);
  if (refusal !== undefined) throw embeddedRefusedError(refusal, connectionNames);
  return true;
}

/** Setting names whose values are Service Bus connections (a string or a namespace). */
function configuredConnectionSettings(settings: Record<string, string>): string[] {
  return Object.keys(settings)
    .filter((name) => {
      const value = settings[name]?.trim() ?? '';
      if (value === '') return false;
      if (configurationKey(name).endsWith(':fullyqualifiednamespace')) return true;
      // Anywhere in the string: connection strings may list their parts in any order.
      return /(^|;)\s*["']?\s*Endpoint\s*=\s*sb:\/\//i.test(value);
    })
    .sort();
}

/** An app with nothing to host would exit at once: on a worker dyno, a restart loop. */
export function checkSomethingToHost(plan: FunctionPlan): void {
  // Every Service Bus function left out on purpose (disabled, say): the worker runs idle, as
  // the host does, rather than exit and be restarted in a loop.
  if (plan.functions.length > 0 || plan.skipped.some((s) => s.serviceBus === true)) return;

  const others = plan.skipped.map((s) => s.name);
  throw new ConfigError(
    'The app registers no Service Bus-triggered function, so the worker has nothing to run' +
      (others.length === 0 ? '' : ` (not hosted here: ${others.join(', ')})`) +
      '. Register one with app.serviceBusQueue or app.serviceBusTopic.',
  );
}

const CREDENTIAL_PARTS = [
  'clientId',
  'tenantId',
  'clientSecret',
  'clientCertificate',
  'credential',
];

/** Identity settings for a connection without its namespace: half a connection, not none. */
function checkNamespaceMissing(name: string, settings: Record<string, string>): void {
  const sections = connectionCandidates(name).map((candidate) => `${configurationKey(candidate)}:`);
  const parts = CREDENTIAL_PARTS.map((part) => part.toLowerCase());
  const present = Object.keys(settings).filter((key) => {
    const normalized = configurationKey(key);
    const section = sections.find((prefix) => normalized.startsWith(prefix));
    return section !== undefined && parts.includes(normalized.slice(section.length));
  });
  if (present.length === 0) return;

  throw new ConfigError(
    `Service Bus connection '${name}' has identity settings (${present.sort().join(', ')}) but ` +
      `no ${name}__fullyQualifiedNamespace: set it to the namespace's host name ` +
      '(<namespace>.servicebus.windows.net)',
  );
}

/**
 * On a Heroku dyno an identity connection with no service principal would fall back to a
 * managed identity, which dynos do not have: the first token request would fail, after
 * start-up had looked fine. The AZURE_* variables of the environment credential count.
 */
function checkIdentityOnDyno(connectionNames: string[], settings: AppSettings): void {
  const values = settings.values;
  if ((values.DYNO ?? '') === '') return;
  const environmentPrincipal =
    nonEmpty(values.AZURE_TENANT_ID) &&
    nonEmpty(values.AZURE_CLIENT_ID) &&
    (nonEmpty(values.AZURE_CLIENT_SECRET) ||
      nonEmpty(values.AZURE_CLIENT_CERTIFICATE_PATH) ||
      nonEmpty(values.AZURE_FEDERATED_TOKEN_FILE));
  if (environmentPrincipal) return;

  for (const name of connectionNames) {
    const connection = resolveConnection(name, values, settings.sources);
    if (connection?.kind !== 'identity' || connection.credential.kind !== 'default') continue;
    throw new ConfigError(
      `Service Bus connection '${name}' would use a managed identity, which a Heroku dyno does ` +
        `not have: set ${name}__tenantId, ${name}__clientId and ${name}__clientSecret for a ` +
        'service principal, or use a connection string',
    );
  }
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== '';
}
