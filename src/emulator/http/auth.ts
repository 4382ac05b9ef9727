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

function unauthorized(detail: string): AdminError {
  return new AdminError('Unauthorized', detail);
}
