import { BrokerError, Condition } from '../amqp/wire';
import type { AccessRight } from '../config/types';
import { normalizeAddress } from '../entities/registry';
import { coversPath, type Grant } from './sas';

/** The grants one connection obtained through `$cbs` put-token, checked at each use. */
export class ConnectionAuth {
  private readonly grants: Grant[] = [];

  add(grant: Grant): void {
    const existing = this.grants.findIndex((candidate) => candidate.path === grant.path);
    if (existing >= 0) this.grants.splice(existing, 1);
    this.grants.push(grant);
  }

  /** Whether a live grant covers the address with the right (Manage covers every right). */
  allows(address: string, right: AccessRight, nowMs: number): boolean {
    const path = normalizeAddress(address);
    return this.grants.some(
      (grant) =>
        grant.expiresAtMs > nowMs &&
        coversPath(grant.path, path) &&
        (grant.rights.includes(right) || grant.rights.includes('Manage')),
    );
  }

  /** Throws UnauthorizedAccess unless a live grant covers the path with the right. */
  require(address: string, right: AccessRight, nowMs: number): void {
    if (this.allows(address, right, nowMs)) return;
    throw new BrokerError(
      Condition.unauthorized,
      `Unauthorized access. '${right}' claim(s) are required to perform this operation. ` +
        `Resource: '${normalizeAddress(address)}'.`,
      401,
    );
  }

  /** The soonest expiry still ahead, if any grant is live. */
  nextExpiry(nowMs: number): number | undefined {
    const ahead = this.grants.map((grant) => grant.expiresAtMs).filter((at) => at > nowMs);
    return ahead.length === 0 ? undefined : Math.min(...ahead);
  }

  /** When the last grant covering the address ran out (for the detach's description). */
  lastExpiry(address: string): number | undefined {
    const path = normalizeAddress(address);
    const covering = this.grants.filter((grant) => coversPath(grant.path, path));
    return covering.length === 0 ? undefined : Math.max(...covering.map((g) => g.expiresAtMs));
  }
}
