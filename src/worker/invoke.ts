import { AppError } from '../shared/errors';
import type { AppRegistry, RegisteredFunction } from './coreModule';
import { getProgrammingModel } from './coreModule';
import type {
  CoreInvocationContext,
  HookData,
  InvocationState,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes';
import { runHooks } from './hooks';

export type InvocationLog = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

export interface InvocationOutcome {
  response: RpcInvocationResponse;
  /** The library's InvocationContext, as the handler saw it. */
  context: unknown;
}

/**
 * Runs one invocation the way the Node worker's invocation handler does: the library's
 * invocation model builds the context and inputs, preInvocation hooks may replace inputs and
 * handler, the handler runs, postInvocation hooks may replace result or error, and the model
 * converts the outputs. A failure anywhere rejects (the caller abandons).
 */
export async function invokeRegistered(
  registry: AppRegistry,
  registered: RegisteredFunction,
  request: RpcInvocationRequest & { invocationId: string },
  log: InvocationLog,
): Promise<InvocationOutcome> {
  const model = getProgrammingModel();
  if (model === undefined) throw new AppError('NoProgrammingModel', 'the app set no programming model');

  const coreContext: CoreInvocationContext = {
    invocationId: request.invocationId,
    request,
    metadata: registered.metadata,
    state: undefined as InvocationState | undefined,
    log,
  };
  const invocationModel = await model.getInvocationModel(coreContext);
  const { context, inputs } = await invocationModel.getArguments();
  const hookData: HookData = {};

  const pre: Record<string, unknown> = {
    hookData,
    appHookData: registry.appHookData,
    invocationContext: context,
    functionCallback: registered.callback,
    inputs,
  };
  await withState(coreContext, 'preInvocationHooks', () => runHooks(registry, 'preInvocation', pre));

  const post: Record<string, unknown> = {
    hookData,
    appHookData: registry.appHookData,
    invocationContext: context,
    inputs: pre.inputs,
    result: null,
    error: null,
  };
  await withState(coreContext, 'invocation', async () => {
    try {
      post.result = await invocationModel.invokeFunction(
        context,
        pre.inputs as unknown[],
        pre.functionCallback as RegisteredFunction['callback'],
      );
    } catch (error) {
      post.error = error;
    }
  });
  await withState(coreContext, 'postInvocationHooks', () => runHooks(registry, 'postInvocation', post));

  // Like the worker: only an Error counts as a failure; a hook may clear it.
  if (post.error instanceof Error) throw post.error;
  if (post.error !== null && post.error !== undefined) {
    throw new AppError('FunctionFailed', `the function threw a non-error value: ${String(post.error)}`);
  }
  return { response: await invocationModel.getResponse(context, post.result), context };
}

async function withState(context: CoreInvocationContext, state: InvocationState, run: () => Promise<void>): Promise<void> {
  context.state = state;
  try {
    await run();
  } finally {
    context.state = undefined;
  }
}
