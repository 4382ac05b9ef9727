import assert from 'node:assert/strict';
import Module from 'node:module';
import { describe, it } from 'node:test';

/**
 * Captures what the two function files register, through a stand-in for the
 * `@azure/functions-core` module that the Functions worker provides. Node runs each test file
 * in its own process, so the stand-in is in place before `@azure/functions` first looks.
 */
interface Registration {
  metadata: { name: string; bindings: Record<string, Record<string, unknown>> };
  handler: unknown;
}
const registrations: Registration[] = [];
const hooks: string[] = [];
const fakeCore = {
  setProgrammingModel: () => undefined,
  registerFunction: (metadata: Registration['metadata'], handler: unknown) => {
    registrations.push({ metadata, handler });
    return { dispose: () => undefined };
  },
  registerHook: (name: string) => {
    hooks.push(name);
    return { dispose: () => undefined };
  },
};

const moduleProto = Module.prototype as unknown as { require: (id: string) => unknown };
const originalRequire = moduleProto.require;
moduleProto.require = function (this: unknown, id: string) {
  return id === '@azure/functions-core' ? fakeCore : originalRequire.call(this, id);
};
require('../../src/functions/processOrder');
require('../../src/functions/processShipment');
moduleProto.require = originalRequire;

const bindingsOf = (name: string) =>
  Object.values(registrations.find((r) => r.metadata.name === name)?.metadata.bindings ?? {});

describe('function registrations', () => {
  it('registers processOrder on queue orders with a return binding to shipments', () => {
    const bindings = bindingsOf('processOrder');
    const trigger = bindings.find((b) => b.direction === 'in');
    const output = bindings.find((b) => b.direction === 'out');
    assert.equal(trigger?.type, 'serviceBusTrigger');
    assert.equal(trigger?.queueName, 'orders');
    assert.equal(trigger?.connection, 'ServiceBusConnection');
    assert.equal(output?.type, 'serviceBus');
    assert.equal(output?.queueName, 'shipments');
    assert.equal(output?.connection, 'ServiceBusConnection');
  });

  it('registers processShipment on queue shipments with no output', () => {
    const bindings = bindingsOf('processShipment');
    assert.equal(bindings.length, 1);
    assert.equal(bindings[0]?.type, 'serviceBusTrigger');
    assert.equal(bindings[0]?.queueName, 'shipments');
    assert.equal(bindings[0]?.connection, 'ServiceBusConnection');
  });

  it('opens an embedded store at start-up and closes the store when the app terminates', () => {
    assert.deepEqual(hooks, ['appStart', 'appTerminate']);
  });
});
