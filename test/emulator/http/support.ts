import assert from 'node:assert/strict';

import type { ServiceBusAdministrationClient } from '@azure/service-bus';

import { DEVELOPMENT_POLICY } from '../../../src/emulator/config/defaults';
import type { SharedAccessPolicy } from '../../../src/emulator/config/types';
import type { AdminBackend } from '../../../src/emulator/http/backend';
import {
  startManagementServer,
  type RunningManagementServer,
} from '../../../src/emulator/http/server';
import { createAdministrationClient } from '../../../src/shared/adminClient';

/** The official emulator's connection string; its AMQP port plays no part here. */
export function emulatorConnectionString(
  keyName = DEVELOPMENT_POLICY.name,
  key = DEVELOPMENT_POLICY.key,
): string {
  return (
    `Endpoint=sb://127.0.0.1;SharedAccessKeyName=${keyName};SharedAccessKey=${key};` +
    'UseDevelopmentEmulator=true;'
  );
}

export interface TestManagementServer {
  server: RunningManagementServer;
  admin: ServiceBusAdministrationClient;
  adminAs(keyName: string, key: string): ServiceBusAdministrationClient;
}

/** A management server on a free loopback port, and an administration client for it. */
export async function startTestManagementServer(
  backend: AdminBackend,
  policies: readonly SharedAccessPolicy[] = [DEVELOPMENT_POLICY],
): Promise<TestManagementServer> {
  const server = await startManagementServer({
    backend,
    policies,
    maxMessageSizeBytes: 256 * 1024,
    port: 0,
    hosts: ['127.0.0.1'],
  });
  const adminAs = (keyName: string, key: string): ServiceBusAdministrationClient =>
    createAdministrationClient(emulatorConnectionString(keyName, key), {
      emulatorHttpPort: server.port,
    });
  return { server, admin: adminAs(DEVELOPMENT_POLICY.name, DEVELOPMENT_POLICY.key), adminAs };
}

/**
 * Awaits a call that must fail with the given HTTP status (and SDK error code, when given);
 * returns the error message for further checks.
 */
export async function refusal(
  promise: Promise<unknown>,
  statusCode: number,
  code?: string,
): Promise<string> {
  let error: { code?: unknown; statusCode?: unknown; message?: unknown } | undefined;
  try {
    await promise;
  } catch (caught) {
    error = caught as typeof error;
  }

  assert.ok(error, `expected the call to fail with ${statusCode}, but it succeeded`);
  assert.equal(error.statusCode, statusCode, String(error.message));
  if (code !== undefined) assert.equal(error.code, code);
  return String(error.message);
}

/** An ATOM entry holding a queue description with `fields`, for PUTs written by hand. */
export function queueEntry(fields: string): string {
  return descriptionEntry('QueueDescription', fields);
}

/** An ATOM entry holding a `QueueDescription`, `RuleDescription`, ... with `fields`. */
export function descriptionEntry(element: string, fields: string): string {
  return (
    '<entry xmlns="http://www.w3.org/2005/Atom"><content type="application/xml">' +
    `<${element}` +
    ' xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect"' +
    ` xmlns:i="http://www.w3.org/2001/XMLSchema-instance">${fields}</${element}>` +
    '</content></entry>'
  );
}

export const NOT_FOUND = 'MessageEntityNotFoundError';
export const ALREADY_EXISTS = 'MessageEntityAlreadyExistsError';
