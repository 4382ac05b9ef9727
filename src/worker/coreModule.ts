import Module = require('node:module');

import { AppError } from '../shared/errors';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookData,
  HookName,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './coreTypes';

const CORE_MODULE_NAME = '@azure/functions-core';
/** Reported as the worker version to the library; ours, not Microsoft's. */
const CORE_VERSION = '3.10.1-sbworker';

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** Where system logs from the library and the hooks go. */
export type CoreLogSink = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

/**
 * Everything one app registered while its entry files loaded: functions with their binding
 * metadata, hooks in registration order, and the app-level hook data the worker keeps.
 */
export class AppRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
  readonly appHookData: HookData = {};
  readonly appLevelOnlyHookData: HookData = {};
  startupFinished = false;

  constructor(readonly log: CoreLogSink) {}

  hooksFor(name: HookName): HookCallback[] {
    return this.hooks.get(name) ?? [];
  }

  /** Asked per invocation: an app may register hooks at any time, even from a handler. */
  hasInvocationHooks(): boolean {
    return this.hooksFor('preInvocation').length > 0 || this.hooksFor('postInvocation').length > 0;
  }
}

/** A disposable as the core module exposes it (the library calls `new coreApi.Disposable`). */
class Disposable {
  static from(...items: Array<{ dispose(): unknown }>): Disposable {
    return new Disposable(() => {
      for (const item of items) item.dispose();
    });
  }

  #onDispose: (() => unknown) | undefined;

  constructor(onDispose: () => unknown) {
    this.#onDispose = onDispose;
  }

  dispose(): unknown {
    const onDispose = this.#onDispose;
    this.#onDispose = undefined;
    return onDispose?.();
  }
}

let installed = false;
let current: AppRegistry | undefined;
// Hooks and system logs keep going to the app that loaded last, also after its start-up.
let active: AppRegistry | undefined;
// The library sets its programming model once per loaded copy, so it outlives any one app.
let programmingModel: ProgrammingModel | undefined;

/**
 * Provides `@azure/functions-core` to every `require` in this process, the way the real Node
 * worker does, so each copy of `@azure/functions` (the app's own included) finds a host.
 * Safe to call more than once.
 */
function installCoreModule(): void {
  if (installed) return;
  installed = true;

  const coreApi = createCoreApi();
  Module.prototype.require = new Proxy(Module.prototype.require, {
    apply(target, thisArg, args: unknown[]) {
      if (args[0] === CORE_MODULE_NAME) return coreApi;
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
}

/** Makes `registry` the one that receives registrations until `endRegistration`. */
export function beginRegistration(registry: AppRegistry): void {
  installCoreModule();
  current = registry;
  active = registry;
}

export function endRegistration(registry: AppRegistry): void {
  registry.startupFinished = true;
  if (current === registry) current = undefined;
}

export function getProgrammingModel(): ProgrammingModel | undefined {
  return programmingModel;
}

function requireRegistry(what: string): AppRegistry {
  if (current === undefined || current.startupFinished) {
    throw new AppError(
      'RegistrationClosed',
      `${what} is only possible while the app's entry files load`,
    );
  }
  return current;
}

function createCoreApi(): Record<string, unknown> {
  return {
    version: CORE_VERSION,
    hostVersion: '4.0.0-sbworker',
    Disposable,

    setProgrammingModel(model: ProgrammingModel): void {
      programmingModel = model;
    },

    getProgrammingModel(): ProgrammingModel | undefined {
      return programmingModel;
    },

    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
      const registry = requireRegistry(`Registering function '${metadata.name}'`);
      if (registry.functions.has(metadata.name)) {
        throw new AppError(
          'DuplicateFunction',
          `A function named '${metadata.name}' is already registered`,
        );
      }

      registry.functions.set(metadata.name, { metadata, callback });
      return new Disposable(() => {
        if (!registry.startupFinished) registry.functions.delete(metadata.name);
      });
    },

    registerHook(hookName: string, callback: HookCallback): Disposable {
      const registry = active ?? requireRegistry(`Registering a '${hookName}' hook`);
      const list = registry.hooks.get(hookName) ?? [];
      list.push(callback);
      registry.hooks.set(hookName, list);
      return new Disposable(() => {
        const index = list.indexOf(callback);
        if (index >= 0) list.splice(index, 1);
      });
    },

    log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
      active?.log(level, category, message);
    },
  };
}
