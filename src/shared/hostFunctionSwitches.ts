import { getSetting } from './appSettings';
import { ConfigError } from './errors';
import { type ConfigTree, describe, get, loadHostJsonTree } from './hostJsonTree';

// Which of an app's functions the Functions host runs, read once for both of its readers: the
// worker, which runs only those, and the app's code, which opens its store only when a
// function that needs it will run.

/**
 * host.json `functions`: the only functions to run; an empty list runs them all, as in the host.
 * `AzureFunctionsJobHost__functions__0` style settings give the items by index.
 *
 * @throws ConfigError naming the setting when it is not a list of names.
 */
export function readFunctionNames(tree: ConfigTree): string[] | undefined {
  const raw = get(tree, 'functions');
  if (raw === undefined || raw === null) return undefined;

  const byIndex =
    typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).every((k) => /^\d+$/.test(k))
      ? Object.entries(raw as Record<string, unknown>)
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([, name]) => name)
      : raw;
  if (!Array.isArray(byIndex) || !byIndex.every((name) => typeof name === 'string')) {
    throw new ConfigError(`${describe(tree, 'functions')} must be a list of function names`);
  }
  return byIndex.length === 0 ? undefined : (byIndex as string[]);
}

/** The app setting that turns a function off without a deploy. */
export function disabledSettingName(functionName: string): string {
  return `AzureWebJobs.${functionName}.Disabled`;
}

/** `AzureWebJobs.<name>.Disabled` set to `true` (any case) or `1`, as the host reads it. */
export function isDisabledBySetting(
  settings: Record<string, string>,
  functionName: string,
): boolean {
  const value = getSetting(settings, disabledSettingName(functionName))?.trim().toLowerCase();
  return value === 'true' || value === '1';
}

/** Whether host.json's list (when it has one) names the function, in any case. */
export function isListed(functionNames: readonly string[] | undefined, name: string): boolean {
  if (functionNames === undefined) return true;
  return functionNames.some((listed) => listed.toLowerCase() === name.toLowerCase());
}

/**
 * Whether the host runs the function `name` of the app in `appDir`, by its host.json (with the
 * `AzureFunctionsJobHost__…` overrides) and the app settings (the process environment, where
 * both hosts put them).
 *
 * @throws ConfigError naming host.json or the setting at fault.
 */
export function hostRunsFunction(
  appDir: string,
  settings: Record<string, string | undefined>,
  name: string,
): boolean {
  const { tree } = loadHostJsonTree(appDir, settings);
  const defined = Object.fromEntries(
    Object.entries(settings).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return isListed(readFunctionNames(tree), name) && !isDisabledBySetting(defined, name);
}
