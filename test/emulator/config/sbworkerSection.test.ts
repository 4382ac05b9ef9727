import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from '../../../src/emulator/config/load';
import { assertRefused, file } from './helpers';

describe('parseConfig SbworkerEmulator section', () => {
  it('keeps RootManageSharedAccessKey beside configured policies; Manage implies the rest', () => {
    const json = file(
      {},
      {
        SbworkerEmulator: {
          SharedAccessPolicies: [
            { Name: 'admin', Key: 'k1', Rights: ['Manage'] },
            { Name: 'sender', Key: 'k2', Rights: ['Send'] },
          ],
        },
      },
    );
    assert.deepEqual(parseConfig(json, 'Config.json').policies, [
      {
        name: 'RootManageSharedAccessKey',
        key: 'SAS_KEY_VALUE',
        rights: ['Manage', 'Send', 'Listen'],
      },
      { name: 'admin', key: 'k1', rights: ['Manage', 'Send', 'Listen'] },
      { name: 'sender', key: 'k2', rights: ['Send'] },
    ]);
  });

  it('lets the section redefine RootManageSharedAccessKey', () => {
    const json = file(
      {},
      {
        SbworkerEmulator: {
          SharedAccessPolicies: [
            { Name: 'RootManageSharedAccessKey', Key: 'secret', Rights: ['Listen'] },
          ],
        },
      },
    );
    assert.deepEqual(parseConfig(json, 'Config.json').policies, [
      { name: 'RootManageSharedAccessKey', key: 'secret', rights: ['Listen'] },
    ]);
  });

  it('reads the message size and the namespace quota', () => {
    const section = { MaxMessageSizeInKilobytes: 1024, NamespaceQuotaInMegabytes: 5 };
    const json = file({}, { SbworkerEmulator: section });
    const config = parseConfig(json, 'Config.json');
    assert.equal(config.maxMessageSizeBytes, 1024 * 1024);
    assert.equal(config.namespaceQuotaBytes, 5 * 1024 * 1024);
  });

  it('refuses a policy without rights, an unknown right and a duplicate policy name', () => {
    const section = (policies: unknown[]) =>
      file({}, { SbworkerEmulator: { SharedAccessPolicies: policies } });
    assertRefused(
      section([{ Name: 'p', Key: 'k', Rights: [] }]),
      'policy "p": Rights needs at least 1 item',
    );
    assertRefused(
      section([{ Name: 'p', Key: 'k', Rights: ['Read'] }]),
      'policy "p": Rights.0 must be one of "Manage", "Send", "Listen"',
    );
    assertRefused(
      section([
        { Name: 'p', Key: 'k', Rights: ['Send'] },
        { Name: 'P', Key: 'k', Rights: ['Send'] },
      ]),
      'policy "P": Name duplicates policy "p"',
    );
  });

  it('says the type of a policy key of the wrong type, never its value', () => {
    const key = 'key-value-8c1e';
    const section = (value: unknown) =>
      file({}, { SbworkerEmulator: { SharedAccessPolicies: [{ Name: 'p', Key: value }] } });
    const cases: Array<[unknown, string]> = [
      [[key], 'an array'],
      [{ value: key }, 'an object'],
      [4711, 'a number'],
      [true, 'a boolean'],
      [null, 'null'],
    ];
    for (const [value, type] of cases) {
      assertRefused(section(value), `policy "p": Key must be a string, not ${type}`);
      assert.throws(
        () => parseConfig(section(value), 'Config.json'),
        (error: Error) => !error.message.includes(key) && !error.message.includes('4711'),
      );
    }
  });

  it('refuses a message size over 100 MB and an unknown setting', () => {
    assertRefused(
      file({}, { SbworkerEmulator: { MaxMessageSizeInKilobytes: 200000 } }),
      'SbworkerEmulator.MaxMessageSizeInKilobytes 200000 is above the maximum of 102400',
    );
    assertRefused(
      file({}, { SbworkerEmulator: { Port: 1 } }),
      'SbworkerEmulator has unknown property "Port"',
    );
  });

  it('refuses a namespace quota under 1 MB', () => {
    assertRefused(
      file({}, { SbworkerEmulator: { NamespaceQuotaInMegabytes: 0 } }),
      'SbworkerEmulator.NamespaceQuotaInMegabytes 0 is below the minimum of 1',
    );
  });
});
