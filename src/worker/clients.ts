import type { TokenCredential } from '@azure/identity';
import { RetryMode, ServiceBusClient, type ServiceBusClientOptions } from '@azure/service-bus';

import { connectionTarget } from './connectionValues';
import {
  type ConnectionTarget,
  sdkConnectionString,
  sdkConnectionStringRefusal,
} from '../shared/connectionString';
import { fixRheaDispositionRanges } from '../shared/rheaDispositions';
import { failRequestsOnDrop } from '../shared/coreAmqpRequests';
import { ConfigError } from '../shared/errors';
import { endClosesOnDisconnect } from '../shared/rheaPromiseCloses';
import { recoverFromPeerCloses } from '../shared/rheaPeerCloses';
import { keepTypedApplicationProperties } from '../shared/typedProperties';
import {
  describeConnection,
  missingConnectionError,
  resolveConnection,
  type ResolvedConnection,
} from './connection';
import type { ClientRetrySettings } from './clientRetryOptions';

// Every settlement the worker makes goes through rhea; see the module for the bug it fixes.
fixRheaDispositionRanges();

// A connection that drops while the SDK closes something on it, or waits for a $cbs or
// $management answer on it, left every receiver waiting (for ever, or a minute).
endClosesOnDisconnect();
failRequestsOnDrop();
recoverFromPeerCloses();

// Application properties reach the handler as the host's .NET client reads them, by AMQP type.
keepTypedApplicationProperties();

/** The SDK's retry options from host.json `clientRetryOptions` (the host's defaults apply). */
function toSdkRetryOptions(
  retry: ClientRetrySettings,
): NonNullable<ServiceBusClientOptions['retryOptions']> {
  return {
    mode: retry.mode === 'fixed' ? RetryMode.Fixed : RetryMode.Exponential,
    maxRetries: retry.maxRetries,
    retryDelayInMs: retry.delayMs,
    maxRetryDelayInMs: retry.maxDelayMs,
    timeoutInMs: retry.tryTimeoutMs,
  };
}

export interface PooledClient {
  client: ServiceBusClient;
  connection: ResolvedConnection;
  /** Where the client connects and which setting says so, for the first failure's log. */
  target: ConnectionTarget;
}

/**
 * One ServiceBusClient per connection setting name, shared by the triggers and outputs that
 * name it. In embedded mode every name maps to the embedded emulator's connection string.
 */
export class ClientPool {
  readonly #clients = new Map<string, Promise<PooledClient>>();

  constructor(
    private readonly settings: Record<string, string>,
    private readonly retry: ClientRetrySettings,
    private readonly embeddedConnectionString?: string,
    /** Where each setting was read, named in the start-up summary. */
    private readonly sources: Record<string, string> = {},
  ) {}

  /** Resolves the connection without connecting; throws ConfigError naming a missing setting. */
  resolve(connectionName: string): ResolvedConnection {
    if (this.embeddedConnectionString !== undefined) {
      return {
        kind: 'connectionString',
        name: connectionName,
        settingName: 'embedded emulator',
        connectionString: this.embeddedConnectionString,
      };
    }
    const connection = resolveConnection(connectionName, this.settings, this.sources);
    if (connection === undefined) throw missingConnectionError(connectionName);
    return connection;
  }

  /**
   * One client per connection name. The promise is kept, not the client: two first uses at
   * once (outputs to two entities of an output-only identity connection) would otherwise
   * each build a client across the credential's await, and only the second would be closed.
   */
  get(connectionName: string): Promise<PooledClient> {
    const existing = this.#clients.get(connectionName);
    if (existing !== undefined) return existing;

    const created = this.#create(connectionName);
    this.#clients.set(connectionName, created);
    // A failed creation (a bad setting) is not kept: the next use reports it again.
    created.catch(() => {
      if (this.#clients.get(connectionName) === created) this.#clients.delete(connectionName);
    });
    return created;
  }

  async #create(connectionName: string): Promise<PooledClient> {
    const connection = this.resolve(connectionName);
    const options: ServiceBusClientOptions = { retryOptions: toSdkRetryOptions(this.retry) };
    const client =
      connection.kind === 'connectionString'
        ? connectionStringClient(connection.connectionString, connection.settingName, options)
        : identityClient(
            connection.fullyQualifiedNamespace,
            await createCredential(connection),
            options,
          );
    return { client, connection, target: connectionTarget(connection) };
  }

  describe(connectionName: string): ReturnType<typeof describeConnection> {
    return describeConnection(this.resolve(connectionName));
  }

  async closeAll(): Promise<void> {
    const pending = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(pending.map(async (created) => (await created).client.close()));
  }
}

/**
 * The token credential for an identity-based connection, as `resolveConnection` chose it from
 * the `<name>__…` section: a service principal's client secret, or DefaultAzureCredential
 * (managed identity, user-assigned when `__clientId` is set; workload identity, environment,
 * developer logins). Building one contacts nothing; the first token request does.
 */
export async function createCredential(
  connection: Extract<ResolvedConnection, { kind: 'identity' }>,
): Promise<TokenCredential> {
  // Loaded only for identity connections: it is a large package and most runs never need it.
  const identity = await import('@azure/identity');
  const { credential } = connection;

  if (credential.kind === 'clientSecret') {
    const { tenantId, clientId, clientSecret } = credential;
    return new identity.ClientSecretCredential(tenantId, clientId, clientSecret);
  }
  return new identity.DefaultAzureCredential(
    credential.managedIdentityClientId === undefined
      ? {}
      : { managedIdentityClientId: credential.managedIdentityClientId },
  );
}

/**
 * The SDK's client, with a refusal translated once: of one of its options, naming the option,
 * else of the connection string, naming the setting.
 */
function connectionStringClient(
  connectionString: string,
  settingName: string,
  options: ServiceBusClientOptions,
): ServiceBusClient {
  try {
    return new ServiceBusClient(sdkConnectionString(connectionString), options);
  } catch (error) {
    throw (
      retryOptionRefusal(error) ??
      sdkConnectionStringRefusal(error, connectionString, `in setting ${settingName}`)
    );
  }
}

function identityClient(
  fullyQualifiedNamespace: string,
  credential: TokenCredential,
  options: ServiceBusClientOptions,
): ServiceBusClient {
  try {
    return new ServiceBusClient(fullyQualifiedNamespace, credential, options);
  } catch (error) {
    throw retryOptionRefusal(error) ?? error;
  }
}

/** The host.json `clientRetryOptions` key each of the SDK's retry options is made from. */
const RETRY_OPTION_KEYS: Record<string, string> = {
  mode: 'mode',
  maxRetries: 'maxRetries',
  retryDelayInMs: 'delay',
  maxRetryDelayInMs: 'maxDelay',
  timeoutInMs: 'tryTimeout',
};

/**
 * The SDK's refusal of a retry option (its text names `retryOptions.<option>`, and holds no
 * part of the connection string) naming the option and its host.json key; else undefined.
 * Settings are checked first, so this is reached only by a rule the check does not know.
 */
function retryOptionRefusal(error: unknown): ConfigError | undefined {
  const text = error instanceof Error ? error.message : String(error);
  const option = /\bretryOptions\.(\w+)/.exec(text)?.[1];
  if (option === undefined) return undefined;

  const key = RETRY_OPTION_KEYS[option];
  const from =
    key === undefined
      ? ''
      : `, made from host.json extensions.serviceBus.clientRetryOptions.${key}` +
        ' (or its AzureFunctionsJobHost__ setting)';
  return new ConfigError(
    `the Service Bus SDK refused its client option retryOptions.${option}${from}: ${text}`,
  );
}
