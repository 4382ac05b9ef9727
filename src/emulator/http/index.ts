import type { Logger } from '../../shared/logger';
import type { NamespaceConfig } from '../config/types';
import type { EntityLimits } from './backend';
import {
  RegistryAdminBackend,
  type RegistryReads,
  type RuntimeEntityChanges,
} from './registryBackend';
import { startManagementServer, type RunningManagementServer } from './server';

export { startManagementServer, type RunningManagementServer } from './server';
export type { AdminBackend } from './backend';
export { MemoryAdminBackend } from './memoryBackend';
export { RegistryAdminBackend, type RuntimeEntityChanges } from './registryBackend';

export interface ManagementApiOptions {
  /** Default 5300; 0 = any free port. */
  port?: number;
  /** Default ['127.0.0.1', '::1']. */
  hosts?: string[];
  logger?: Logger;
  /** Run-time entity changes; without them the API is read-only (changes answer 501). */
  changes?: RuntimeEntityChanges;
  limits?: EntityLimits;
}

/**
 * Serves the management (ATOM) API and `/health` for a running broker: descriptions and
 * counts of its entities, signed with the namespace's policies.
 */
export function startManagementApi(
  registry: RegistryReads,
  namespace: NamespaceConfig,
  options: ManagementApiOptions = {},
): Promise<RunningManagementServer> {
  const changes = options.changes ?? null;
  const backend = new RegistryAdminBackend(registry, namespace, changes, options.limits);
  return startManagementServer({
    backend,
    policies: namespace.policies,
    maxMessageSizeBytes: namespace.maxMessageSizeBytes,
    port: options.port,
    hosts: options.hosts,
    logger: options.logger,
  });
}
