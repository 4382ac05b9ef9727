import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';

import type { ServiceBusReceivedMessage } from '@azure/service-bus';

import { watchDeliveryLink } from '../../src/worker/deliveryLink';

/** A message as the SDK hands it over: its rhea delivery names the link, with rhea's emitter. */
function deliveredOn(link: { is_open(): boolean; observers: EventEmitter }) {
  return { delivery: { link } } as unknown as ServiceBusReceivedMessage;
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
});
