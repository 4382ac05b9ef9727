import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { watchDeliveryLink } from '../../src/worker/deliveryLink';

interface FakeLink {
  is_open(): boolean;
  observers: EventEmitter;
  connection?: EventEmitter;
}

/** A message as the SDK hands it over: its rhea delivery names the link, with rhea's emitter. */
function deliveredOn(link: FakeLink) {
  return { delivery: { link } } as unknown as ServiceBusReceivedMessage;
}

/** A connection as the SDK leaves it: rhea-promise listens for its `disconnected`. */
function sdkConnection(): EventEmitter {
  const connection = new EventEmitter();
  connection.on('disconnected', () => undefined);
  return connection;
}

describe('watchDeliveryLink', () => {
  it('tells every settlement waiting on a link of its close, through one listener', async () => {
    const link = { is_open: () => true, observers: new EventEmitter() };
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);

    const watches = Array.from({ length: 40 }, () => watchDeliveryLink(deliveredOn(link)));
    const listeners = link.observers.listenerCount('receiver_close');
    link.observers.emit('receiver_close');
    await Promise.all(watches.map((watch) => watch?.closed));
    process.off('warning', onWarning);

    assert.equal(listeners, 1);
    assert.equal(watches.filter((watch) => watch !== undefined).length, 40);
    assert.deepEqual(warnings, []);
  });

  it('tells no settlement that stopped watching; watches no closed link', async () => {
    const link = { is_open: () => true, observers: new EventEmitter() };
    const stopped = watchDeliveryLink(deliveredOn(link));
    const kept = watchDeliveryLink(deliveredOn(link));
    let stoppedTold = false;
    void stopped?.closed.then(() => (stoppedTold = true));

    stopped?.stop();
    link.observers.emit('receiver_close');
    await kept?.closed;

    assert.equal(stoppedTold, false);
    const closedLink = { is_open: () => false, observers: new EventEmitter() };
    assert.equal(watchDeliveryLink(deliveredOn(closedLink)), undefined);
  });

  it('tells the settlements on all links of a connection that drops, once each', async () => {
    const connection = sdkConnection();
    const links = [1, 2, 3].map(() => ({
      is_open: () => true,
      observers: new EventEmitter(),
      connection,
    }));
    const watches = links.flatMap((link) => [1, 2].map(() => watchDeliveryLink(deliveredOn(link))));
    const listeners = connection.listenerCount('disconnected');

    connection.emit('disconnected');
    const ends = await Promise.all(watches.map((watch) => watch?.closed));
    links[0]?.observers.emit('receiver_close');

    assert.equal(listeners, 2, "the SDK's listener and one for all links");
    assert.deepEqual(ends, Array(6).fill('connectionLost'));
    assert.equal(connection.listenerCount('disconnected'), 1);
  });

  it('leaves alone a connection no one listens on, whose events go to its container', () => {
    const connection = new EventEmitter();
    const link = { is_open: () => true, observers: new EventEmitter(), connection };

    const watch = watchDeliveryLink(deliveredOn(link));

    assert.notEqual(watch, undefined);
    assert.equal(connection.listenerCount('disconnected'), 0);
  });
});
