import { ServiceBusAdministrationClient } from '@azure/service-bus';

import { ConfigError } from './errors';

/** The official emulator serves its management (ATOM) API on this plain-HTTP port. */
export const DEFAULT_EMULATOR_HTTP_PORT = 5300;

export interface AdministrationClientOptions {
  /**
   * Port of the emulator's management endpoint; used only when the connection string says
   * `UseDevelopmentEmulator=true`.
   * @defaultValue 5300
   */
  emulatorHttpPort?: number;
}

// The pipeline type comes from the client itself, so no transitive package is imported.
type PipelinePolicy = Parameters<ServiceBusAdministrationClient['pipeline']['addPolicy']>[0];

const EMULATOR_POLICY_NAME = 'sbworkerEmulatorEndpoint';
// The SDK's SAS policy; it signs the URL it sees, so ours must run before it.
const SDK_SIGNING_POLICY_NAME = 'signingPolicy';

/**
 * Builds a `ServiceBusAdministrationClient` from a connection string. Against Azure this is
 * the plain client. Against a development emulator (`UseDevelopmentEmulator=true`), whose
 * management API speaks HTTP on its own port, one pipeline policy rewrites each request from
 * `https://host[:amqpPort]/path` to `http://host:httpPort/path` and allows the insecure
 * connection. It uses the client's public `pipeline`, so no private member is patched.
 * Written against and tested with @azure/service-bus 7.9.5.
 * @throws ConfigError (`InvalidConfiguration`) when the connection string has no Endpoint.
 */
export function createAdministrationClient(
  connectionString: string,
  options: AdministrationClientOptions = {},
): ServiceBusAdministrationClient {
  const client = new ServiceBusAdministrationClient(connectionString);
  if (!isDevelopmentEmulator(connectionString)) return client;

  const httpPort = options.emulatorHttpPort ?? DEFAULT_EMULATOR_HTTP_PORT;
  client.pipeline.addPolicy(emulatorEndpointPolicy(httpPort), {
    beforePolicies: [SDK_SIGNING_POLICY_NAME],
  });
  return client;
}

/** Whether the connection string targets a development emulator (plain AMQP and HTTP). */
export function isDevelopmentEmulator(connectionString: string): boolean {
  const fields = readConnectionStringFields(connectionString);
  if (fields.get('endpoint') === undefined) {
    throw new ConfigError('the Service Bus connection string has no Endpoint');
  }
  return (fields.get('usedevelopmentemulator') ?? '').toLowerCase() === 'true';
}

/**
 * The `Key=Value;` pairs of a connection string, keys lower-cased. Values may contain `=`
 * (base64 keys end with it), so only the first `=` splits.
 */
export function readConnectionStringFields(connectionString: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of connectionString.split(';')) {
    const separator = part.indexOf('=');
    if (separator <= 0) continue;
    fields.set(part.slice(0, separator).trim().toLowerCase(), part.slice(separator + 1).trim());
  }
  return fields;
}

/** Rewrites the SDK's https URL to the emulator's plain-HTTP management port. */
export function emulatorEndpointPolicy(httpPort: number): PipelinePolicy {
  if (!Number.isInteger(httpPort) || httpPort < 1 || httpPort > 65535) {
    throw new ConfigError(`the emulator HTTP port must be 1..65535, got ${httpPort}`);
  }

  return {
    name: EMULATOR_POLICY_NAME,
    sendRequest(request, next) {
      const url = new URL(request.url);
      url.protocol = 'http:';
      url.port = String(httpPort);
      request.url = url.toString();
      request.allowInsecureConnection = true;
      return next(request);
    },
  };
}
