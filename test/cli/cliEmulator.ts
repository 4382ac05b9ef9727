import { emulatorForSuite, type SuiteEmulator, type TestEntities } from '../support/emulator';
import { runCli, type CliResult } from './runCli';

/** What a CLI test against the emulator works with; filled in by the suite's `before`. */
export interface CliEmulator extends SuiteEmulator {
  /** `sbworker <args> --connection-string <the emulator>`. */
  cli(args: string[]): Promise<CliResult>;
}

/** `emulatorForSuite`, plus the CLI pointed at that emulator. */
export function cliEmulatorFor(entities: TestEntities): CliEmulator {
  const suite = emulatorForSuite(entities) as CliEmulator;
  suite.cli = (args) => runCli([...args, '--connection-string', suite.emulator.connectionString]);
  return suite;
}
