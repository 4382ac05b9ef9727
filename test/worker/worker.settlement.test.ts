import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type ProbeHarness, probeHarnessPerTest } from './probeHarness';
import { callsFor, probe, waitFor } from './support';

// How messages end, as the host settles them: complete on success (auto-complete), abandon on
// any failure (throw, timeout), nothing when the lock is lost, never a dead-letter of our own.

type Harness = ProbeHarness;

const startHarness = probeHarnessPerTest();

async function setUp(
  prefix: string,
  options: { maxDeliveryCount?: number; env?: Record<string, string> } = {},
): Promise<Harness> {
  return startHarness(prefix, {
    queue: { maxDeliveryCount: options.maxDeliveryCount ?? 10 },
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}

async function send(
  h: Harness,
  messageId: string,
  properties: Record<string, string> = {},
  entity = h.names.queue,
) {
  const sender = h.client.createSender(entity);
  await sender.sendMessages({ body: { messageId }, messageId, applicationProperties: properties });
  await sender.close();
}

async function peekCount(h: Harness, queue: string, subQueueType?: 'deadLetter') {
  const receiver = h.client.createReceiver(
    queue,
    subQueueType === undefined ? {} : { subQueueType },
  );
  const messages = await receiver.peekMessages(100);
  await receiver.close();
  return messages;
}

function invocationLine(h: Harness, invocationId: string, timeoutMs = 5000) {
  return waitFor(
    'the invocation log line',
    () => h.log.lines().find((l) => l.invocationId === invocationId && l.outcome !== undefined),
    timeoutMs,
  );
}

describe('worker settlement', () => {
  it('settles each message with its own outcome when many end at once', async () => {
    // maxDeliveryCount 1: an abandoned message is dead-lettered at once, a completed one gone.
    const h = await setUp('settle-turn', {
      maxDeliveryCount: 1,
      env: { AzureFunctionsJobHost__extensions__serviceBus__maxConcurrentCalls: '8' },
    });
    const ids = Array.from({ length: 60 }, (_, i) => `t${i + 1}`);
    const failing = new Set(ids.filter((_, i) => i % 3 === 1));

    const sender = h.client.createSender(h.names.queue);
    await sender.sendMessages(
      ids.map((id) => ({
        body: { id },
        messageId: id,
        applicationProperties: { behaviour: failing.has(id) ? 'throw' : '' },
      })),
    );
    await sender.close();
    await waitFor('an invocation line for each', () =>
      h.log.lines().filter((l) => l.outcome !== undefined).length >= ids.length ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    const ranTwice = ids.filter((id) => callsFor('probeQueue', id).length !== 1);
    assert.deepEqual(ranTwice, [], 'each message ran once');
    const deadLetters = await peekCount(h, h.names.queue, 'deadLetter');
    assert.deepEqual(deadLetters.map((m) => m.messageId).sort(), [...failing].sort());
    assert.equal((await peekCount(h, h.names.queue)).length, 0);
  });

  it('completes the message when the handler succeeds', async () => {
    const h = await setUp('settle-ok');

    await send(h, 'ok-1');
    const [call] = await waitFor('the call', () =>
      callsFor('probeQueue', 'ok-1').length > 0 ? callsFor('probeQueue', 'ok-1') : undefined,
    );

    assert.equal((await invocationLine(h, call?.invocationId ?? '')).settlement, 'complete');
    assert.equal((await peekCount(h, h.names.queue)).length, 0);
  });

  it('abandons on a throw: deliveryCount + 1, dead-lettered at MaxDeliveryCount', async () => {
    const h = await setUp('settle-throw', { maxDeliveryCount: 2 });

    await send(h, 'throw-1', { behaviour: 'throw' });
    const calls = await waitFor('two deliveries', () => {
      const found = callsFor('probeQueue', 'throw-1');
      return found.length >= 2 ? found : undefined;
    });

    assert.deepEqual(
      calls.map((c) => c.triggerMetadata.deliveryCount),
      [1, 2],
    );
    assert.equal((await invocationLine(h, calls[0]?.invocationId ?? '')).settlement, 'abandon');
    const dlq = await waitForAsync(
      () => peekCount(h, h.names.queue, 'deadLetter'),
      (m) => m.length === 1,
    );
    assert.equal(
      dlq[0]?.deadLetterReason,
      'MaxDeliveryCountExceeded',
      'the broker, not the worker, dead-lettered it',
    );
  });

  it('abandons when functionTimeout passes, and other invocations carry on', async () => {
    const h = await setUp('settle-timeout', {
      maxDeliveryCount: 1,
      env: { AzureFunctionsJobHost__functionTimeout: '00:00:01' },
    });

    await send(h, 'hang-1', { behaviour: 'hang' });
    await send(h, 'quick-1');
    const [hung] = await waitFor('the hanging call', () =>
      callsFor('probeQueue', 'hang-1').length > 0 ? callsFor('probeQueue', 'hang-1') : undefined,
    );
    const line = await invocationLine(h, hung?.invocationId ?? '');

    assert.equal(line.outcome, 'timedOut');
    assert.equal(line.settlement, 'abandon');
    assert.ok(Number(line.durationMs) >= 1000 && Number(line.durationMs) < 2500);
    const [quick] = callsFor('probeQueue', 'quick-1');
    assert.equal((await invocationLine(h, quick?.invocationId ?? '')).outcome, 'succeeded');
  });

  it('leaves a message alone on success with autoCompleteMessages false', async () => {
    const h = await setUp('settle-noauto');

    await send(h, 'noauto-1', {}, h.names.topic);
    const calls = await waitFor(
      'the redelivery after the 5 s lock',
      () => {
        const found = callsFor('probeTopic', 'noauto-1');
        return found.length >= 2 ? found : undefined;
      },
      12_000,
    );

    assert.deepEqual(
      calls.slice(0, 2).map((c) => c.triggerMetadata.deliveryCount),
      [1, 2],
    );
    assert.equal((await invocationLine(h, calls[0]?.invocationId ?? '')).settlement, 'none');
  });

  it('renews the lock while a handler outlasts it, then completes once', async () => {
    const h = await setUp('settle-renew', {
      env: { AzureFunctionsJobHost__functionTimeout: '00:00:30' },
    });

    await send(h, 'slow-1', { behaviour: 'sleep:6500' });
    const [call] = await waitFor('the call', () =>
      callsFor('probeQueue', 'slow-1').length > 0 ? callsFor('probeQueue', 'slow-1') : undefined,
    );
    const line = await invocationLine(h, call?.invocationId ?? '', 10_000);

    assert.equal(line.settlement, 'complete');
    assert.equal(
      callsFor('probeQueue', 'slow-1').length,
      1,
      'no redelivery while the lock was renewed',
    );
  });

  it('does not settle once renewal stops at its limit and the lock is lost', async () => {
    const h = await setUp('settle-lost', {
      env: {
        AzureFunctionsJobHost__functionTimeout: '00:00:30',
        AzureFunctionsJobHost__extensions__serviceBus__maxAutoLockRenewalDuration: '00:00:01',
      },
    });

    await send(h, 'lost-1', { behaviour: 'sleep:6500' });
    const calls = await waitFor(
      'the redelivery while the first handler still runs',
      () => {
        const found = callsFor('probeQueue', 'lost-1');
        return found.length >= 2 ? found : undefined;
      },
      10_000,
    );
    const first = await invocationLine(h, calls[0]?.invocationId ?? '', 10_000);

    assert.equal(calls[1]?.triggerMetadata.deliveryCount, 2);
    assert.equal(first.outcome, 'succeeded');
    assert.equal(first.settlement, 'lockLost');
    // Trial BC: a succeeded run that will run again was only an info line.
    const warning = h.log
      .lines()
      .find(
        (l) =>
          l.level === 'warn' && l.messageId === 'lost-1' && /lock was lost/.test(String(l.msg)),
      );
    assert.ok(warning, 'a warning says the message will be delivered again');
    // Trial BE: the redelivery may run meanwhile; the warning names its own invocation.
    assert.equal(warning.invocationId, calls[0]?.invocationId);
    assert.equal(warning.deliveryCount, 1);
  });
});

describe('worker outputs', () => {
  it('stops renewing the lock of an invocation abandoned when the grace ends', async () => {
    // A 5 s lock is renewed after 2.5 s; the grace period (0.5 s) ends long before that.
    const h = await setUp('renew-after-abandon', {
      env: { AzureFunctionsJobHost__functionTimeout: '00:00:10' },
    });
    await send(h, 'renew-abandoned', { behaviour: 'sleep:6000' });
    await waitFor('the invocation', () =>
      callsFor('probeQueue', 'renew-abandoned').length === 1 ? true : undefined,
    );

    await h.worker.stop('test');
    const abandoned = h.log.lines().find((l) => String(l.msg).startsWith('Grace period over'));
    await new Promise((resolve) => setTimeout(resolve, 3000));

    assert.equal(abandoned?.abandoned, 1);
    const renewals = h.log.lines().filter((l) => String(l.msg).startsWith('Renewing the message'));
    assert.deepEqual(renewals, [], 'no renewal of a message that was given back');
  });

  it('sends no outputs for an invocation whose message was given back at shutdown', async () => {
    const h = await setUp('outputs-after-abandon', {
      env: { AzureFunctionsJobHost__functionTimeout: '00:00:10' },
    });
    await send(h, 'late-output', { behaviour: 'sleep:1000', output: 'late' });
    const [call] = await waitFor('the invocation', () =>
      callsFor('probeQueue', 'late-output').length === 1
        ? callsFor('probeQueue', 'late-output')
        : undefined,
    );

    // The grace period (0.5 s) ends first; the handler then succeeds while the worker is still
    // closing (held open here for 1.5 s, as a slow appTerminate hook would).
    await h.worker.stop('test', {
      afterDrain: () => new Promise((resolve) => setTimeout(resolve, 1500)),
    });

    const receiver = h.client.createReceiver(h.names.out);
    assert.deepEqual(await receiver.peekMessages(5), [], 'the message will run again');
    await receiver.close();
    assert.ok(
      h.log.lines().some((l) => String(l.msg).startsWith('Outputs not sent')),
      'says why the outputs were not sent',
    );

    // The shutdown's abandon was the message's one settlement: no complete follows it.
    const line = await invocationLine(h, call?.invocationId ?? '');
    assert.equal(line.settlement, 'abandonedAtShutdown');
    const settleWarnings = h.log
      .lines()
      .filter((l) => l.invocationId === call?.invocationId && l.level === 'warn')
      .filter((l) => !String(l.msg).startsWith('Outputs not sent'));
    assert.deepEqual(settleWarnings, []);
  });

  it('sends Service Bus outputs (return value, extra output; body only) on success', async () => {
    const h = await setUp('outputs-ok');

    await send(h, 'out-1', { output: 'shipped' });
    const receiver = h.client.createReceiver(h.names.out, { skipParsingBodyAsJson: true });
    const [returned] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    await receiver.close();
    const extraReceiver = h.client.createReceiver(h.names.extraOut);
    const [extra] = await extraReceiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    await extraReceiver.close();

    assert.equal(Buffer.from(returned?.body as Buffer).toString('utf8'), 'shipped');
    assert.deepEqual(returned?.applicationProperties ?? {}, {});
    assert.deepEqual(extra?.body, { echo: 'shipped' });
  });

  it('sends no output when the handler fails after setting one', async () => {
    const h = await setUp('outputs-fail', { maxDeliveryCount: 1 });

    await send(h, 'out-fail-1', { behaviour: 'throwAfterOutput' });
    const [call] = await waitFor('the call', () =>
      callsFor('probeQueue', 'out-fail-1').length > 0
        ? callsFor('probeQueue', 'out-fail-1')
        : undefined,
    );
    await invocationLine(h, call?.invocationId ?? '');

    assert.equal((await peekCount(h, h.names.extraOut)).length, 0);
  });
});

describe('worker hooks', () => {
  it('runs appStart, pre/post invocation (sharing hookData) and appTerminate hooks', async () => {
    const before = probe().hooks.length;
    const h = await setUp('hooks');

    await send(h, 'hooks-1', { behaviour: 'throw' });
    await waitFor('the post hook', () =>
      probe()
        .hooks.slice(before)
        .find((hook) => hook.hook === 'postInvocation'),
    );
    await h.worker.stop('test');
    const hooks = probe().hooks.slice(before);

    assert.equal(hooks[0]?.hook, 'appStart');
    const pre = hooks.find((hook) => hook.hook === 'preInvocation');
    const post = hooks.find((hook) => hook.hook === 'postInvocation');
    assert.equal(pre?.functionName, 'probeQueue');
    assert.equal(post?.sawPre, true);
    assert.equal(post?.error, 'probe handler failure');
    assert.equal(hooks.at(-1)?.hook, 'appTerminate');
  });
});

async function waitForAsync<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
