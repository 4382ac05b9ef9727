import type { ServiceBusAdministrationClient } from '@azure/service-bus';

import {
  createAdministrationClient,
  type AdministrationClientOptions,
} from '../../shared/adminClient';
import { DEFAULT_EMULATOR_HTTP_PORT } from '../../shared/emulatorPorts';
import type { OperatorConnection } from './connection';
import type { ManagementTarget } from './managementErrors';

/** Why a command has no administration client for an emulator, and what to pass instead. */
export const MANAGEMENT_PORT_UNKNOWN =
  "the emulator's management port is not known (its AMQP port is not 5672, so it is not" +
  ' 5300); pass it with --http-port N (`sbworker emulator` prints it in its ready line)';

export interface TargetManagement extends ManagementTarget {
  /** Undefined for an emulator whose management port is not known. */
  admin: ServiceBusAdministrationClient | undefined;
}

/**
 * The administration client for the connection, for every command that needs one. An emulator
 * serves its management API on its own HTTP port: `--http-port`, else 5300 beside the default
 * AMQP port 5672. An emulator on another AMQP port took a free HTTP port, which the CLI cannot
 * guess, so it gets no client: a request to 5300 would hand a token signed with the
 * connection string's key to whatever listens there.
 */
export function targetManagement(
  connection: OperatorConnection,
  httpPort: number | undefined,
  options: Omit<AdministrationClientOptions, 'emulatorHttpPort'> = {},
): TargetManagement {
  const known =
    httpPort ??
    (!connection.isEmulator || connection.endpoint.endsWith(':5672')
      ? DEFAULT_EMULATOR_HTTP_PORT
      : undefined);
  const admin =
    known === undefined
      ? undefined
      : createAdministrationClient(connection.connectionString, {
          ...options,
          emulatorHttpPort: known,
        });
  return {
    admin,
    connection,
    httpPort: known ?? DEFAULT_EMULATOR_HTTP_PORT,
    httpPortGiven: httpPort !== undefined,
  };
}
