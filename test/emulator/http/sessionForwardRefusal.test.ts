import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { managedEmulatorForSuite } from './brokerSupport';
import { refusal } from './support';

// Azure refuses ForwardTo on an entity that requires sessions with 400 Bad Request
// (Azure/azure-service-bus#660, #317); ForwardDeadLetteredMessagesTo stays allowed there.
const BOTH = /RequiresSession and ForwardTo "srf-target" cannot be set together/;

describe('management API: an entity that requires sessions cannot auto-forward', () => {
  const suite = managedEmulatorForSuite({
    queues: ['srf-target', { name: 'srf-sessions', requiresSession: true }],
    topics: [{ name: 'srf-topic', subscriptions: [] }],
  });

  it('refuses to create a session queue with ForwardTo', async () => {
    const options = { requiresSession: true, forwardTo: 'srf-target' };
    const message = await refusal(suite.admin.createQueue('srf-new', options), 400);

    assert.match(message, /queue 'srf-new'/);
    assert.match(message, BOTH);
    assert.equal(await suite.admin.queueExists('srf-new'), false);
  });

  it('refuses to create a session subscription with ForwardTo', async () => {
    const options = { requiresSession: true, forwardTo: 'srf-target' };
    const created = suite.admin.createSubscription('srf-topic', 'srf-sub', options);
    const message = await refusal(created, 400);

    assert.match(message, /subscription 'srf-topic\/Subscriptions\/srf-sub'/);
    assert.match(message, BOTH);
    assert.equal(await suite.admin.subscriptionExists('srf-topic', 'srf-sub'), false);
  });

  it('refuses to set ForwardTo on a session queue and keeps it unchanged', async () => {
    const queue = await suite.admin.getQueue('srf-sessions');
    const update = suite.admin.updateQueue({ ...queue, forwardTo: 'srf-target' });
    assert.match(await refusal(update, 400), BOTH);

    const after = await suite.admin.getQueue('srf-sessions');
    assert.equal(after.forwardTo, undefined);
  });

  it('accepts ForwardDeadLetteredMessagesTo on a session queue', async () => {
    const options = { requiresSession: true, forwardDeadLetteredMessagesTo: 'srf-target' };
    const created = await suite.admin.createQueue('srf-dead-letters', options);

    assert.equal(created.requiresSession, true);
    assert.match(created.forwardDeadLetteredMessagesTo ?? '', /srf-target$/);
  });
});
