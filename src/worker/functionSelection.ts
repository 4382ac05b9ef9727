import { disabledSettingName, isDisabledBySetting, isListed } from '../shared/hostFunctionSwitches';
import { findSetting } from '../shared/settingKeys';
import type { RpcBindingInfo } from './coreTypes';

/** What decides whether the host runs a registered function, besides its trigger type. */
export interface FunctionSelection {
  /** host.json `functions`, when set: the host runs these only. */
  functionNames: string[] | undefined;
  /** The app settings, for `AzureWebJobs.<name>.Disabled`. */
  settings: Record<string, string>;
}

/**
 * Why the host would not run this Service Bus-triggered function, or undefined when it would:
 * - host.json `functions` lists the functions to run (names in any case);
 * - the app setting `AzureWebJobs.<name>.Disabled` set to `true` (any case) or `1` disables a
 *   function, the documented way to stop one without a deploy; the host reads it at start-up;
 * - an SDK-type trigger (`sdkBinding: true`) hands the handler the host's own message object,
 *   which only the Functions host can build: run here, the handler would get the plain body.
 */
export function notHostedReason(
  name: string,
  trigger: RpcBindingInfo,
  selection: FunctionSelection,
): string | undefined {
  if (!isListed(selection.functionNames, name)) {
    return (
      'the "functions" list (host.json or its AzureFunctionsJobHost__functions__N ' +
      'settings) does not name it'
    );
  }
  if (isDisabledBySetting(selection.settings, name)) {
    // Named as the user wrote it: the host reads the key in any case.
    const setting = findSetting(selection.settings, disabledSettingName(name));
    return `disabled by the setting ${setting?.name ?? disabledSettingName(name)}`;
  }

  const deferred = (trigger.properties as Record<string, unknown> | undefined)
    ?.supportsDeferredBinding;
  if (String(deferred).toLowerCase() === 'true') {
    return (
      'its trigger is an SDK-type binding (sdkBinding: true), which only the Functions host' +
      ' can provide'
    );
  }
  return undefined;
}

/**
 * `AzureWebJobs.<name>.Disabled` settings that name no registered function (in any case): a
 * mistyped name disables nothing, which the host does not say either.
 */
export function disabledSettingsForUnknownFunctions(
  settings: Record<string, string>,
  registeredNames: readonly string[],
): string[] {
  const known = new Set(registeredNames.map((name) => name.toLowerCase()));
  return Object.keys(settings).filter((key) => {
    const name = /^AzureWebJobs\.(.+)\.Disabled$/i.exec(key)?.[1];
    return name !== undefined && !known.has(name.toLowerCase());
  });
}
