import { emulatorForSuite, type SuiteEmulator, type TestEntities } from '../support/emulator';
import { BROKER_ANNOTATIONS } from '../support/wireSections';
import { runCli, type CliResult } from './runCli';

/** What a CLI test against the emulator works with; filled in by the suite's `before`. */
export interface CliEmulator extends SuiteEmulator {
  /**
   * `sbworker <args> --connection-string <the emulator>`; a `dlq replay` also gets the
   * emulator's management port (`--http-port`, unless given), as an operator passes the port
   * `sbworker emulator` printed, so that the replay can read its target's settings.
   */
  cli(args: string[]): Promise<CliResult>;
}

/** `emulatorForSuite`, plus the CLI pointed at that emulator. */
export function cliEmulatorFor(entities: TestEntities): CliEmulator {
  const suite = emulatorForSuite(entities) as CliEmulator;
  suite.cli = (args) => {
    const { connectionString, httpPort } = suite.emulator;
    const replay = args[0] === 'dlq' && args[1] === 'replay' && !args.includes('--http-port');
    const management = replay && httpPort !== null ? ['--http-port', String(httpPort)] : [];
    return runCli([...args, ...management, '--connection-string', connectionString]);
  };
  return suite;
}

const BROKER_FIELDS = ['sequenceNumber', 'enqueuedTimeUtc', 'deliveryCount', 'state'];
/** `peek --json` lines without the fields and message annotations the broker sets. */
export function sendableLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const json = JSON.parse(line) as Record<string, unknown>;
      for (const field of BROKER_FIELDS) delete json[field];
      const annotations = Object.entries(json.messageAnnotations ?? {}).filter(
        ([key]) => !BROKER_ANNOTATIONS.test(key),
      );
      if (annotations.length > 0) json.messageAnnotations = Object.fromEntries(annotations);
      else delete json.messageAnnotations;
      return json;
    });
}
