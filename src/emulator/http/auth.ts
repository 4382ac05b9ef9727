import type { IncomingHttpHeaders } from 'node:http';

import { verifySasToken } from '../auth/sas';
import type { SharedAccessPolicy } from '../config/types';
import { AdminError } from './backend';

/**
 * Checks a management request's `Authorization` header as Service Bus does: a SAS token
 * signed with a policy key (HMAC over the lower-cased request URL and expiry), not expired,
 * issued for this URL, from a policy with the Manage right.
 * @param requestUrl the absolute URL the client sent the request to
 * @throws AdminError (`Unauthorized`) when any check fails.
 */
export function requireManageRight(
  authorization: string | undefined,
  requestUrl: string,
  policies: readonly SharedAccessPolicy[],
  nowMs: number,
): void {
  if (!authorization) throw unauthorized('The request has no Authorization header.');

  let rights: readonly string[];
  try {
    rights = verifySasToken(authorization, requestUrl.toLowerCase(), policies, nowMs).rights;
  } catch (error) {
    throw unauthorized(error instanceof Error ? error.message : 'The token was refused.');
  }

  if (!rights.includes('Manage')) {
    throw unauthorized(
      "Unauthorized access. 'Manage' claim(s) are required to perform this operation.",
    );
  }
}

export type ForwardProperty = 'ForwardTo' | 'ForwardDeadLetteredMessagesTo';

/**
 * Where the administration client puts a token for a forwarding destination, next to the
 * request's own (which it signs for the request URL alone).
 */
const SUPPLEMENTARY_HEADERS: Record<ForwardProperty, string> = {
  ForwardTo: 'servicebussupplementaryauthorization',
  ForwardDeadLetteredMessagesTo: 'servicebusdlqsupplementaryauthorization',
};

/**
 * Whether a request may point a forward at `entity`: its own token or the supplementary one
 * must carry Manage for that entity (Azure asks for Manage on both ends of a forward).
 */
export function forwardingAllowed(
  headers: IncomingHttpHeaders,
  origin: string,
  policies: readonly SharedAccessPolicy[],
  nowMs: number,
): (property: ForwardProperty, entity: string) => boolean {
  const manages = (token: unknown, audience: string): boolean => {
    if (typeof token !== 'string') return false;
    try {
      const { rights } = verifySasToken(token, audience.toLowerCase(), policies, nowMs);
      return rights.includes('Manage');
    } catch {
      return false;
    }
  };

  return (property, entity) => {
    const url = `${origin}/${entity}`;
    const supplementary = headers[SUPPLEMENTARY_HEADERS[property]];
    if (manages(headers.authorization, url) || manages(supplementary, url)) return true;
    // The client signs the supplementary token for the bare namespace host (`sr=127.0.0.1`).
    const host = typeof supplementary === 'string' ? signedHost(supplementary) : undefined;
    return host !== undefined && manages(supplementary, host);
  };
}

/** The token's resource when it is a bare host (`localhost`, `[::1]:5300`): the namespace. */
function signedHost(token: string): string | undefined {
  const sr = /(?:^|[\s&])sr=([^&]*)/.exec(token)?.[1];
  let resource: string;
  try {
    resource = decodeURIComponent(sr ?? '');
  } catch {
    return undefined;
  }
  return /^(?:\[[\da-f:.]+\]|[^/?#:[\]\s]+)(?::\d+)?$/i.test(resource) ? resource : undefined;
}

function unauthorized(detail: string): AdminError {
  return new AdminError('Unauthorized', detail);
}
