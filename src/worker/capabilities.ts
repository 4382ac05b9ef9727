import { AppError, ensureError } from '../shared/errors';
import type { Logger } from '../shared/logger';
import { getProgrammingModel } from './coreModule';

/**
 * What the Node worker advertises to the host before the library adds its own (worker
 * `src/eventHandlers/getWorkerCapabilities.ts`). Only `TypedDataCollection` matters to Service
 * Bus triggers, and this worker always behaves as if it were set.
 */
const NODE_WORKER_CAPABILITIES: Readonly<Record<string, string>> = {
  RawHttpBodyBytes: 'true',
  RpcHttpTriggerMetadataRemoved: 'true',
  RpcHttpBodyOnly: 'true',
  IgnoreEmptyValuedRpcHttpHeaders: 'true',
  UseNullableValueDictionaryForHttp: 'true',
  WorkerStatus: 'true',
  TypedDataCollection: 'true',
  HandlesWorkerTerminateMessage: 'true',
};

/** What the host would do differently for this app, from the capabilities its worker sent. */
export interface HostCapabilities {
  /** `IncludeEmptyEntriesInMessagePayload`: string arrays keep null (as '') and '' entries. */
  includeEmptyEntries: boolean;
}

const DEFAULT_HOST_CAPABILITIES: HostCapabilities = { includeEmptyEntries: false };

/**
 * Asks the programming model for the worker's capabilities, as the Node worker does once the
 * entry files and appStart hooks have run. That call is also what ends the library's start-up:
 * `app.setup` throws from then on, as in Azure. The app's `app.setup({ capabilities })` values
 * come back merged in.
 *
 * @throws AppError `CapabilitiesFailed` (not retryable) when the library's call fails.
 */
export async function negotiateCapabilities(logger: Logger): Promise<HostCapabilities> {
  const model = getProgrammingModel();
  if (model?.getCapabilities === undefined) return DEFAULT_HOST_CAPABILITIES;

  let capabilities: Record<string, string>;
  try {
    capabilities = await model.getCapabilities({ ...NODE_WORKER_CAPABILITIES });
  } catch (error) {
    throw new AppError(
      'CapabilitiesFailed',
      `the @azure/functions library failed to report its capabilities: ` +
        ensureError(error).message,
      { retryable: false, cause: error },
    );
  }

  if (capabilities.HttpUri !== undefined) {
    // app.setup({ enableHttpStream: true }) makes the library open its HTTP stream proxy here.
    logger.warn(
      'app.setup enableHttpStream: the @azure/functions library opened its HTTP stream proxy, ' +
        'an HTTP listener on every interface that nothing uses here (this worker hosts ' +
        'Service Bus triggers only); turn streaming on only where the app serves HTTP',
      { code: 'HttpStreamUnused' },
    );
  }
  return hostCapabilities(capabilities);
}

/**
 * The host reads a capability as set when its value is not empty or blank (azure-functions-host
 * `GrpcMessageConversionExtensions`), so even the text 'false' turns it on.
 */
function hostCapabilities(capabilities: Record<string, string>): HostCapabilities {
  const isSet = (name: string): boolean => (capabilities[name] ?? '').trim() !== '';
  return { includeEmptyEntries: isSet('IncludeEmptyEntriesInMessagePayload') };
}
