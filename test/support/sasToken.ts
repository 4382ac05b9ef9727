import { createHmac } from 'node:crypto';

import { DEVELOPMENT_POLICY } from '../../src/emulator/config/defaults';

/**
 * A Service Bus SAS token signed as Azure documents it: HMAC-SHA256 with the policy key over
 * `<URL-encoded resource>\n<expiry in seconds>`. Written out here, independent of the
 * emulator's verifier, so that tests check the emulator against the documented scheme.
 */
export function signSasToken(
  resource: string,
  expiresAtSeconds: number,
  keyName: string,
  key: string,
): string {
  const sr = encodeURIComponent(resource);
  const sig = createHmac('sha256', Buffer.from(key, 'utf8'))
    .update(`${sr}\n${expiresAtSeconds}`)
    .digest('base64');
  return (
    `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}` +
    `&se=${expiresAtSeconds}&skn=${keyName}`
  );
}

/** A token for `resource` signed with the development key (`RootManageSharedAccessKey`). */
export function signRootToken(resource: string, expiresAtSeconds: number): string {
  const { name, key } = DEVELOPMENT_POLICY;
  return signSasToken(resource, expiresAtSeconds, name, key);
}
