import { createHmac } from 'node:crypto';

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
