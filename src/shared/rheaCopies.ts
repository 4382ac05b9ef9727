import { dirname } from 'node:path';

/**
 * The files of every rhea copy this process may load: the one `@azure/service-bus` reaches
 * through rhea-promise (its own and @azure/core-amqp's), and the one our emulator and CLI
 * import. They are one copy today only because package.json's `overrides` pins rhea; a copy
 * that nothing patched would bring back the bugs the patches fix, with no sign of it. So the
 * patches go to each copy found here, and each copy is checked before it is patched.
 *
 * @param file a file inside the rhea package, e.g. `lib/session.js`.
 * @returns the resolved paths, one per distinct copy.
 */
export function rheaCopyFiles(file: string): string[] {
  const rheaPromises = rheaPromiseCopies().map((main) => dirname(main));

  const files = new Set([
    ...rheaPromises.map((from) => require.resolve(`rhea/${file}`, { paths: [from] })),
    require.resolve(`rhea/${file}`),
  ]);
  return [...files];
}

/**
 * The entry file of every rhea-promise copy `@azure/service-bus` may load (its own and
 * @azure/core-amqp's), one per distinct copy.
 */
export function rheaPromiseCopies(): string[] {
  const sdk = dirname(require.resolve('@azure/service-bus'));
  const coreAmqp = dirname(sdkCoreAmqp());
  return [
    ...new Set([sdk, coreAmqp].map((from) => require.resolve('rhea-promise', { paths: [from] }))),
  ];
}

/** The entry file of the @azure/core-amqp copy `@azure/service-bus` runs on. */
export function sdkCoreAmqp(): string {
  const sdk = dirname(require.resolve('@azure/service-bus'));
  return require.resolve('@azure/core-amqp', { paths: [sdk] });
}

/** Loads one rhea file found by `rheaCopyFiles`. */
export function requireRheaFile<T>(path: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as T;
}
