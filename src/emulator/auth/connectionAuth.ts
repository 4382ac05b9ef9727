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

  /** Throws UnauthorizedAccess unless a live grant covers the path with the right. */
  require(address: string, right: AccessRight, nowMs: number): void {
    const path = normalizeAddress(address);
    const ok = this.grants.some(
      (grant) =>
        grant.expiresAtMs > nowMs &&
        coversPath(grant.path, path) &&
        (grant.rights.includes(right) || grant.rights.includes('Manage')),
    );
    if (!ok) {
      throw new BrokerError(
        Condition.unauthorized,
        `Unauthorized access. '${right}' claim(s) are required to perform this operation. ` +
          `Resource: '${path}'.`,
        401,
      );
    }
  }
}
