import { AppError } from '../shared/errors';
import { describeNonError } from '../shared/loggableKeys';
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
import { RETURN_BINDING_NAME } from './outputs';

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
 *
 * @param timedOut Whether the function timeout has passed. From then on the invocation goes no
 *   further than the handler already running: in Azure the host restarts the worker process at
 *   a timeout, so the handler (if not started yet) and the postInvocation hooks never run.
 * @throws AppError `InvocationTimedOut` when it stopped short for that reason.
 */
export async function invokeRegistered(
  registry: AppRegistry,
  registered: RegisteredFunction,
  request: RpcInvocationRequest & { invocationId: string },
  log: InvocationLog,
  timedOut: () => boolean = () => false,
): Promise<InvocationOutcome> {
  const model = getProgrammingModel();
  if (model === undefined)
    throw new AppError('NoProgrammingModel', 'the app set no programming model');

  const coreContext: CoreInvocationContext = {
    invocationId: request.invocationId,
    request,
    metadata: registered.metadata,
    state: undefined as InvocationState | undefined,
    log,
  };
  const invocationModel = await model.getInvocationModel(coreContext);
  const { context, inputs } = await invocationModel.getArguments();

  // Hook contexts are built only when hooks are registered: most apps have none.
  const hookData: HookData | undefined = registry.hasInvocationHooks() ? {} : undefined;
  let args = inputs;
  let callback = registered.callback;
  if (hookData !== undefined && registry.hooksFor('preInvocation').length > 0) {
    const pre: Record<string, unknown> = {
      hookData,
      appHookData: registry.appHookData,
      invocationContext: context,
      functionCallback: callback,
      inputs: args,
    };
    await withState(coreContext, 'preInvocationHooks', () =>
      runHooks(registry, 'preInvocation', pre),
    );
    args = pre.inputs as unknown[];
    callback = pre.functionCallback as RegisteredFunction['callback'];
  }

  let result: unknown = null;
  let failure: unknown = null;
  if (timedOut()) throw stoppedByTimeout();
  coreContext.state = 'invocation';
  try {
    result = await invocationModel.invokeFunction(context, args, callback);
  } catch (error) {
    failure = error;
  } finally {
    coreContext.state = undefined;
  }
  if (timedOut()) throw stoppedByTimeout();

  if (hookData !== undefined && registry.hooksFor('postInvocation').length > 0) {
    const post: Record<string, unknown> = {
      hookData,
      appHookData: registry.appHookData,
      invocationContext: context,
      inputs: args,
      result,
      error: failure,
    };
    await withState(coreContext, 'postInvocationHooks', () =>
      runHooks(registry, 'postInvocation', post),
    );
    result = post.result;
    failure = post.error;
  }

  // Like the worker: anything but null and undefined is a failure; a hook may clear it.
  if (failure instanceof Error) throw failure;
  // The Node worker makes a thrown text the error's message: the author's own words, unless
  // it is the body the handler was handed (`throw body`), which never goes to a log.
  if (typeof failure === 'string' && !holdsStringInput(failure, args)) {
    throw new AppError('FunctionFailed', capped(failure));
  }
  if (failure !== null && failure !== undefined) {
    // By its type only: an app may throw the body it was handed.
    throw new AppError(
      'FunctionFailed',
      `the function threw a non-error value: ${describeNonError(failure)}`,
    );
  }
  try {
    return { response: await invocationModel.getResponse(context, result), context };
  } catch (error) {
    throw unserializableOutput(registered, context, result, error);
  }
}

/**
 * The library turns each output value into JSON and throws as JSON.stringify does (a BigInt, a
 * circular object). The line names the output whose value fails; the value is never shown.
 */
function unserializableOutput(
  registered: RegisteredFunction,
  context: unknown,
  result: unknown,
  error: unknown,
): AppError {
  const extraOutputs = (context as { extraOutputs?: { get(name: string): unknown } }).extraOutputs;
  const outputNames = Object.entries(registered.metadata.bindings)
    .filter(([, binding]) => binding.direction === 'out')
    .map(([name]) => name);
  // A return value with no output binding is converted too, as the return value.
  const failing =
    outputNames.find((name) => {
      const value = name === RETURN_BINDING_NAME ? result : extraOutputs?.get(name);
      return !isSerializable(value);
    }) ?? RETURN_BINDING_NAME;

  const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : 'it failed';
  return new AppError(
    'OutputNotSerializable',
    `the value of output ${failing} cannot be converted to JSON: ${reason}`,
    { retryable: false },
  );
}

function isSerializable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

function stoppedByTimeout(): AppError {
  return new AppError(
    'InvocationTimedOut',
    'the function timeout passed: the rest of the invocation does not run',
  );
}

async function withState(
  context: CoreInvocationContext,
  state: InvocationState,
  run: () => Promise<void>,
): Promise<void> {
  context.state = state;
  try {
    await run();
  } finally {
    context.state = undefined;
  }
}

/** Past this, a thrown text is cut: one failure should not make a 256 KB log line. */
const THROWN_TEXT_MAX_CHARS = 500;

function capped(text: string): string {
  if (text.length <= THROWN_TEXT_MAX_CHARS) return text;
  return `${text.slice(0, THROWN_TEXT_MAX_CHARS)}… (${text.length} characters in all)`;
}

/**
 * Whether a thrown text is, or holds, a text input of the invocation (a text body, or one of a
 * batch's). Short inputs count only when equal: "ok" inside an error message is no body.
 */
function holdsStringInput(text: string, inputs: readonly unknown[]): boolean {
  const texts = inputs.flatMap((input) => (Array.isArray(input) ? input : [input]));
  return texts.some(
    (input) =>
      typeof input === 'string' &&
      input !== '' &&
      (text === input || (input.length >= MIN_CONTAINED_INPUT_CHARS && text.includes(input))),
  );
}

const MIN_CONTAINED_INPUT_CHARS = 8;
