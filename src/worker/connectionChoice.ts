import type { AppSettings } from '../shared/appSettings';
import { ConfigError } from '../shared/errors';
import { missingConnectionError, resolveConnection } from './connection';
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
  if (firstMissing === undefined) return false;

  // Some functions' connections resolve and some do not: the app is partly configured.
  if (missing.length < connectionNames.length) throw missingConnectionError(firstMissing);

  const configured = configuredConnectionSettings(settings.values);
  if (configured.length > 0) {
    throw new ConfigError(
      `${missingConnectionError(firstMissing).message}, but ${configured.join(', ')} ` +
        `${configured.length === 1 ? 'holds' : 'hold'} a Service Bus connection: is the ` +
        `function's connection name mistyped? The embedded emulator starts only when no ` +
        'connection is configured at all.',
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
      if (/__fullyQualifiedNamespace$/i.test(name)) return true;
      return /^["']?Endpoint\s*=\s*sb:\/\//i.test(value);
    })
    .sort();
}

/** An app with nothing to host would exit at once: on a worker dyno, a restart loop. */
export function checkSomethingToHost(plan: FunctionPlan): void {
  if (plan.functions.length > 0) return;

  const others = plan.skipped.map((s) => s.name);
  throw new ConfigError(
    'The app registers no Service Bus-triggered function, so the worker has nothing to run' +
      (others.length === 0 ? '' : ` (not hosted here: ${others.join(', ')})`) +
      '. Register one with app.serviceBusQueue or app.serviceBusTopic.',
  );
}
