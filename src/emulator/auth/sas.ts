import { createHmac, timingSafeEqual } from 'node:crypto';

import { BrokerError, Condition } from '../amqp/wire';
import type { AccessRight, SharedAccessPolicy } from '../config/types';
import { normalizeAddress } from '../entities/registry';

/** What a verified token allows: rights on an entity path (or the whole namespace: ''). */
export interface Grant {
  path: string;
  rights: readonly AccessRight[];
  expiresAtMs: number;
}

/**
 * Verifies a Service Bus SAS token the way the service does: HMAC-SHA256 with the policy's
 * key (its UTF-8 bytes) over `sr + "\n" + se` as sent, expiry in the future, and the signed
 * resource matching the audience the client asked for.
 */
export function verifySasToken(
  token: string,
  audience: string,
  policies: readonly SharedAccessPolicy[],
  nowMs: number,
): Grant {
  const fields = parseToken(token);
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  const skn = fields.get('skn');
  if (sr === undefined || sig === undefined || se === undefined || skn === undefined) {
    throw unauthorized('The token is not a well-formed SharedAccessSignature.');
  }

  const keyName = decodeURIComponent(skn);
  const policy = policies.find((candidate) => candidate.name === keyName);
  if (!policy) throw unauthorized(`No shared access policy named '${keyName}'.`);

  const expected = createHmac('sha256', Buffer.from(policy.key, 'utf8'))
    .update(`${sr}\n${se}`)
    .digest();
  const given = Buffer.from(decodeURIComponent(sig), 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthorized('The token signature does not match the shared access key.');
  }

  // `se` is signed, so a bad one is the signer's mistake, not an old token: say which.
  const expiresAtSeconds = Number(se);
  if (!/^\d+$/.test(se) || !Number.isSafeInteger(expiresAtSeconds)) {
    throw unauthorized('The token expiry (se) is not a whole number of seconds since 1970.');
  }
  if (expiresAtSeconds * 1000 <= nowMs) throw unauthorized('The token has expired.');

  // A resource is named by its URI without a query: the SDK signs a management request's
  // whole URL (`…/q1?api-version=…`), a token made for the entity names `…/q1`.
  const signedUri = decodeURIComponent(sr);
  requireResourceUri(signedUri);
  const resource = normalizeAddress(withoutQuery(signedUri));
  const requested = normalizeAddress(withoutQuery(audience));
  if (!coversPath(resource, requested)) {
    throw unauthorized('The token was not issued for the requested audience.');
  }
  return { path: requested, rights: policy.rights, expiresAtMs: expiresAtSeconds * 1000 };
}

/**
 * Service Bus resources are `sb://<namespace>/<path>` URIs (clients also sign amqp(s) and
 * http(s) forms, and the bare host). An empty `sr` or `/` names no namespace yet would read
 * as the whole one, and another scheme is no Service Bus resource: both are refused. The host
 * is not compared: one emulator is reached as localhost, 127.0.0.1, ::1 or a container name,
 * and only a holder of its key can sign a token at all.
 */
function requireResourceUri(uri: string): void {
  const uriParts = /^([^:/?#]*):\/\/([^/?#]*)/.exec(uri);
  const named = uriParts ? uriParts[2]!.trim() !== '' : withoutQuery(uri).replace(/^[\s/]+/, '');
  if (named && (!uriParts || /^(?:sb|amqps?|https?)$/i.test(uriParts[1]!))) return;
  throw unauthorized(
    'The token resource (sr) must name the namespace, as an sb://, amqp://, amqps://, http:// ' +
      'or https:// URI.',
  );
}

function withoutQuery(uri: string): string {
  const query = uri.search(/[?#]/);
  return query < 0 ? uri : uri.slice(0, query);
}

/** A grant on `orders` covers `orders/$DeadLetterQueue`; a grant on '' covers everything. */
export function coversPath(grantPath: string, path: string): boolean {
  return grantPath === '' || path === grantPath || path.startsWith(`${grantPath}/`);
}

function parseToken(token: string): Map<string, string> {
  const prefix = 'SharedAccessSignature ';
  const text = token.startsWith(prefix) ? token.slice(prefix.length) : token;
  const fields = new Map<string, string>();
  for (const part of text.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return fields;
}

function unauthorized(description: string): BrokerError {
  return new BrokerError(Condition.unauthorized, description, 401);
}
