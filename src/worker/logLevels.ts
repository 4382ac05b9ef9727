import { type LogLevel, toLogLevel } from '../shared/logger';

/** One `logging.logLevel` entry of host.json other than `default`, its key as written. */
export interface CategoryLevel {
  category: string;
  level: LogLevel;
}

/** The levels of one function's lines that a host.json category sets; unset: `default`. */
export interface FunctionLogLevels {
  /** The worker's lines about its invocations (`Executed …`): category `Function.<name>`. */
  invocations?: LogLevel;
  /** The function's own logs (context.log, context.trace, …): `Function.<name>.User`. */
  user?: LogLevel;
}

/** The levels the worker applies. */
export interface WorkerLogLevels {
  /** Where they come from: LOG_LEVEL, host.json, or the host's default (Information). */
  source: 'LOG_LEVEL' | 'host.json' | 'default';
  /**
   * Every line no category sets. A logger given to the worker (tests, the main job) keeps its
   * own level for these lines.
   */
  default: LogLevel;
  functions: Record<string, FunctionLogLevels>;
  /** host.json categories that no line of the worker falls in, as written. */
  notApplied: string[];
  /** host.json categories that LOG_LEVEL overrides, as written. */
  overridden: string[];
}

/** The level names .NET's logging parses (in any case), which host.json must use. */
const HOST_LEVEL_NAMES = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'];

/** A host.json level name as our level (Trace is our debug); undefined when .NET refuses it. */
export function hostLogLevel(name: string): LogLevel | undefined {
  return HOST_LEVEL_NAMES.includes(name.trim().toLowerCase()) ? toLogLevel(name) : undefined;
}

function invocationCategory(functionName: string): string {
  return `Function.${functionName}`;
}

function userCategory(functionName: string): string {
  return `Function.${functionName}.User`;
}

/**
 * Whether a host.json key covers a category, as .NET's logger filter decides: the key is a
 * prefix of the category in any case (no dot needed after it), and a key with one `*` matches
 * categories that start with what comes before it and end with what comes after.
 */
function categoryMatches(key: string, category: string): boolean {
  const lowerKey = key.toLowerCase();
  const lowerCategory = category.toLowerCase();
  const star = lowerKey.indexOf('*');
  if (star === -1) return lowerCategory.startsWith(lowerKey);

  const before = lowerKey.slice(0, star);
  const after = lowerKey.slice(star + 1);
  return (
    lowerCategory.length >= before.length + after.length &&
    lowerCategory.startsWith(before) &&
    lowerCategory.endsWith(after)
  );
}

/** The level of a category: the longest matching key's, as in .NET; undefined when none. */
export function levelForCategory(
  rules: readonly CategoryLevel[],
  category: string,
): LogLevel | undefined {
  let best: CategoryLevel | undefined;
  for (const rule of rules) {
    if (!categoryMatches(rule.category, category)) continue;
    // Of two equally long keys the later one wins, as in .NET.
    if (best === undefined || rule.category.length >= best.category.length) best = rule;
  }
  return best?.level;
}

export interface LogLevelSources {
  /** LOG_LEVEL, already checked; unset or empty leaves the levels to host.json. */
  logLevelSetting: string | undefined;
  /** host.json `logging.logLevel.default`. */
  hostDefault: LogLevel | undefined;
  hostCategories: readonly CategoryLevel[];
  functionNames: readonly string[];
}

/**
 * The level of every line the worker writes. LOG_LEVEL, when set, is the level of all of them
 * (it beats host.json, as it did when host.json had only `default`). Otherwise host.json's
 * `default` covers the worker's own lines and its categories cover each function's lines, the
 * longest match winning; a function's lines without a match take `default` too.
 */
export function resolveLogLevels(sources: LogLevelSources): WorkerLogLevels {
  const { logLevelSetting, hostDefault, hostCategories, functionNames } = sources;
  const keys = hostCategories.map((rule) => rule.category);

  const setting = toLogLevel(logLevelSetting ?? '');
  if (setting !== undefined) {
    return {
      source: 'LOG_LEVEL',
      default: setting,
      functions: {},
      notApplied: [],
      overridden: keys,
    };
  }

  const functions: Record<string, FunctionLogLevels> = {};
  for (const name of functionNames) {
    const invocations = levelForCategory(hostCategories, invocationCategory(name));
    const user = levelForCategory(hostCategories, userCategory(name));
    functions[name] = {
      ...(invocations === undefined ? {} : { invocations }),
      ...(user === undefined ? {} : { user }),
    };
  }
  const categories = functionNames.flatMap((name) => [
    invocationCategory(name),
    userCategory(name),
  ]);
  return {
    source: hostDefault === undefined && keys.length === 0 ? 'default' : 'host.json',
    default: hostDefault ?? 'info',
    functions,
    notApplied: keys.filter(
      (key) => !categories.some((category) => categoryMatches(key, category)),
    ),
    overridden: [],
  };
}

/** The levels in effect, for `--check` and the start-up line: every function's spelled out. */
export function describeLogLevels(
  levels: WorkerLogLevels,
  functionNames: readonly string[],
): Record<string, unknown> {
  const functions: Record<string, Required<FunctionLogLevels>> = {};
  for (const name of functionNames) {
    const set = levels.functions[name] ?? {};
    functions[name] = {
      invocations: set.invocations ?? levels.default,
      user: set.user ?? levels.default,
    };
  }
  return {
    source: levels.source,
    default: levels.default,
    functions,
    ...(levels.notApplied.length > 0 ? { notApplied: levels.notApplied } : {}),
    ...(levels.overridden.length > 0 ? { overriddenByLogLevel: levels.overridden } : {}),
  };
}
