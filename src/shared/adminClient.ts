import { ServiceBusAdministrationClient } from '@azure/service-bus';

import {
  connectionStringProblem,
  readConnectionString,
  sdkConnectionStringRefusal,
  type ServiceBusConnectionParts,
} from './connectionString';
import { DEFAULT_EMULATOR_HTTP_PORT } from './emulatorPorts';
import { ConfigError } from './errors';

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
const SIGNATURE_POLICY_NAME = 'sbworkerSharedAccessSignature';

/**
 * Builds a `ServiceBusAdministrationClient` from a connection string. Against Azure this is
 * the plain client. Against a development emulator (`UseDevelopmentEmulator=true`), whose
 * management API speaks HTTP on its own port, one pipeline policy rewrites each request from
 * `https://host[:amqpPort]/path` to `http://host:httpPort/path` and allows the insecure
 * connection. A string with `SharedAccessSignature` sends that signature as the Authorization
 * header, as Azure's management API takes it: the SDK's own policy would sign with a key the
 * string does not have. Only the client's public `pipeline` is used, no private member.
 * Written against and tested with @azure/service-bus 7.9.5.
 * @throws ConfigError (`InvalidConfiguration`) for a connection string the SDK cannot use.
 */
export function createAdministrationClient(
  connectionString: string,
  options: AdministrationClientOptions = {},
): ServiceBusAdministrationClient {
  const parts = checkedParts(connectionString);
  let client: ServiceBusAdministrationClient;
  try {
    client = new ServiceBusAdministrationClient(parts.canonical);
  } catch (error) {
    throw sdkConnectionStringRefusal(error, connectionString, 'for the management API');
  }
  if (options.requestTimeoutMs !== undefined) {
    client.pipeline.addPolicy(requestDeadlinePolicy(options.requestTimeoutMs));
  }
  let signer = SDK_SIGNING_POLICY_NAME;
  if (parts.sharedAccessSignature !== undefined) {
    client.pipeline.removePolicy({ name: SDK_SIGNING_POLICY_NAME });
    client.pipeline.addPolicy(signaturePolicy(parts.sharedAccessSignature));
    signer = SIGNATURE_POLICY_NAME;
  }
  if (!parts.isEmulator) return client;

  const httpPort = options.emulatorHttpPort ?? DEFAULT_EMULATOR_HTTP_PORT;
  client.pipeline.addPolicy(emulatorEndpointPolicy(httpPort), { beforePolicies: [signer] });
  return client;
}

/**
 * Whether the connection string targets a development emulator (plain AMQP and HTTP), read as
 * the SDK reads it: `UseDevelopmentEmulator=true`, key and value in exactly that case.
 * @throws ConfigError for a connection string the SDK cannot use.
 */
export function isDevelopmentEmulator(connectionString: string): boolean {
  return checkedParts(connectionString).isEmulator;
}

function checkedParts(connectionString: string): ServiceBusConnectionParts {
  const problem = connectionStringProblem(connectionString);
  if (problem !== undefined) {
    throw new ConfigError(`the Service Bus connection string ${problem}`);
  }
  return readConnectionString(connectionString);
}

/** Sends the connection string's signature as it is, for a string without a key. */
function signaturePolicy(signature: string): PipelinePolicy {
  return {
    name: SIGNATURE_POLICY_NAME,
    sendRequest(request, next) {
      request.headers.set('authorization', signature);
      return next(request);
    },
  };
}

/** Rewrites the SDK's https URL to the emulator's plain-HTTP management port. */
function emulatorEndpointPolicy(httpPort: number): PipelinePolicy {
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
function requestDeadlinePolicy(timeoutMs: number): PipelinePolicy {
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
