import { BrokerError, Condition } from '../amqp/wire';
import type { AccessRight } from '../config/types';
import { normalizeAddress } from '../entities/registry';
import { coversPath, type Grant } from './sas';

/**
 * What a check asks of a grant: one right, or `AnyRight`: any live token for the path. A
 * `$management` link takes any (the SDK puts a token for its audience before attaching it);
 * each request on it is checked for its own right.
 */
export type Claim = AccessRight | 'AnyRight';

/** The claim as descriptions name it: `'Listen'`, or every right for `AnyRight`. */
export function claimNames(claim: Claim): string {
  return claim === 'AnyRight' ? "'Manage', 'Send' or 'Listen'" : `'${claim}'`;
}

/**
 * The grants one connection obtained through `$cbs` put-token, and the rights of a SASL PLAIN
 * login on the whole namespace (they never expire), checked at each use.
 */
export class ConnectionAuth {
  private readonly grants: Grant[] = [];
  private loginRights: readonly AccessRight[] = [];

  /** The rights of the policy the connection logged in with; a put-token may add to them. */
  logIn(rights: readonly AccessRight[]): void {
    this.loginRights = rights;
  }

  add(grant: Grant): void {
    const existing = this.grants.findIndex((candidate) => candidate.path === grant.path);
    if (existing >= 0) this.grants.splice(existing, 1);
    this.grants.push(grant);
  }

  /** Whether a live grant covers the address with the claim (Manage covers every right). */
  allows(address: string, claim: Claim, nowMs: number): boolean {
    if (hasRight(this.loginRights, claim)) return true;
    const path = normalizeAddress(address);
    return this.grants.some(
      (grant) =>
        grant.expiresAtMs > nowMs && coversPath(grant.path, path) && hasRight(grant.rights, claim),
    );
  }

  /** Throws UnauthorizedAccess unless a live grant covers the path with the claim. */
  require(address: string, claim: Claim, nowMs: number): void {
    if (this.allows(address, claim, nowMs)) return;
    throw new BrokerError(
      Condition.unauthorized,
      `Unauthorized access. ${claimNames(claim)} claim(s) are required to perform this ` +
        `operation. Resource: '${normalizeAddress(address)}'.`,
      401,
    );
  }

  /** The soonest expiry later than `afterMs`, if any grant ends after it. */
  nextExpiry(afterMs: number): number | undefined {
    const ahead = this.grants.map((grant) => grant.expiresAtMs).filter((at) => at > afterMs);
    return ahead.length === 0 ? undefined : Math.min(...ahead);
  }

  /** When the last grant covering the address ran out (for the detach's description). */
  lastExpiry(address: string): number | undefined {
    const path = normalizeAddress(address);
    const covering = this.grants.filter((grant) => coversPath(grant.path, path));
    return covering.length === 0 ? undefined : Math.max(...covering.map((g) => g.expiresAtMs));
  }
}

function hasRight(rights: readonly AccessRight[], claim: Claim): boolean {
  if (claim === 'AnyRight') return rights.length > 0;
  return rights.includes(claim) || rights.includes('Manage');
}
