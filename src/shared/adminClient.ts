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
  /**
   * How long one management request may wait for its answer; then it fails with `ETIMEDOUT`.
   * The SDK sets none, so a server that accepts the connection and never answers (a stopped
   * process) would hold the caller for ever.
   */
  requestTimeoutMs?: number;
}

// The pipeline type comes from the client itself, so no transitive package is imported.
type PipelinePolicy = Parameters<ServiceBusAdministrationClient['pipeline']['addPolicy']>[0];

const EMULATOR_POLICY_NAME = 'sbworkerEmulatorEndpoint';
const REQUEST_DEADLINE_POLICY_NAME = 'sbworkerRequestDeadline';
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
  if (options.requestTimeoutMs !== undefined) {
    client.pipeline.addPolicy(requestDeadlinePolicy(options.requestTimeoutMs));
  }
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

/**
 * Gives each request a deadline, and reports one that passes as `ETIMEDOUT` with the request
 * (so the caller can name the address): the HTTP client reports it as an abort that names
 * neither, and the SDK does not retry it.
 */
export function requestDeadlinePolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: REQUEST_DEADLINE_POLICY_NAME,
    async sendRequest(request, next) {
      if (request.timeout === 0) request.timeout = timeoutMs;
      try {
        return await next(request);
      } catch (error) {
        const aborted = (error as { name?: unknown } | null)?.name === 'AbortError';
        if (!aborted || request.abortSignal?.aborted === true) throw error;
        const message = `no answer within ${request.timeout} ms`;
        throw Object.assign(new Error(message, { cause: error }), { code: 'ETIMEDOUT', request });
      }
    },
  };
}
