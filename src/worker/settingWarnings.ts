import type { AppSettings } from '../shared/appSettings';
import { configurationKey, findSetting } from '../shared/settingKeys';
import { connectionCandidates, resolveConnection } from './connection';
import { ALIASED_CONNECTION_NAME, CONNECTION_STRING_ALIAS } from './connectionValues';

type Warning = { message: string; fields: Record<string, unknown> };

/**
 * What start-up says about settings that are set twice: two names .NET configuration reads as
 * one key, for a host.json override or a connection the app uses, and `ServiceBusConnection`
 * beside its alias with another value. Each names the settings and the one in effect, never a
 * value.
 */
export function settingWarnings(settings: AppSettings, connectionNames: string[]): Warning[] {
  return [
    ...sameKeyWarnings(settings, connectionNames),
    ...aliasWarnings(settings, connectionNames),
  ];
}

function sameKeyWarnings(settings: AppSettings, connectionNames: string[]): Warning[] {
  const connectionKeys = connectionNames.flatMap((name) =>
    connectionCandidates(name).map(configurationKey),
  );
  const matters = (key: string): boolean =>
    key.startsWith('azurefunctionsjobhost:') ||
    connectionKeys.some((candidate) => key === candidate || key.startsWith(`${candidate}:`));

  const warnings: Warning[] = [];
  for (const names of settings.sameKey) {
    const used = names[names.length - 1];
    if (used === undefined || !matters(configurationKey(used))) continue;

    const where = (name: string): string => settings.sources[name] ?? 'environment';
    const listed = names.map((name) => `${name} (${where(name)})`);
    const others = names.slice(0, -1);
    // .NET's last provider wins; within one source its order is not defined: the later here.
    const why = others.every((name) => where(name) === where(used))
      ? `the later in the ${where(used)}`
      : 'the later source wins';
    warnings.push({
      message:
        `Settings ${listed.join(' and ')} are one setting to the Functions host (.NET ` +
        `configuration matches names in any case, and reads __ as :): ${used} is used, ${why}`,
      fields: { settings: names, used },
    });
  }
  return warnings;
}

/** `ServiceBusConnection` set (in any form) and `SERVICEBUS_CONNECTION_STRING` set otherwise. */
function aliasWarnings(settings: AppSettings, connectionNames: string[]): Warning[] {
  const aliased = connectionNames.find(
    (name) => name.toLowerCase() === ALIASED_CONNECTION_NAME.toLowerCase(),
  );
  const alias = findSetting(settings.values, CONNECTION_STRING_ALIAS);
  if (aliased === undefined || alias === undefined || alias.value.trim() === '') return [];

  let used: ReturnType<typeof resolveConnection>;
  try {
    used = resolveConnection(aliased, settings.values, settings.sources);
  } catch {
    // An unusable setting stops start-up with its own error.
    return [];
  }
  if (used === undefined || used.settingName === alias.name) return [];
  if (used.kind === 'connectionString' && used.connectionString === alias.value.trim()) return [];

  return [
    {
      message:
        `${used.settingName} and ${alias.name} are both set, to different values: ` +
        `${used.settingName} is used (${alias.name} is read only when ${aliased} is not set)`,
      fields: { settings: [used.settingName, alias.name], used: used.settingName },
    },
  ];
}
