import { forwardingRefusal } from '../broker/forwardingRefusal';
import type { EntityRegistry } from '../entities/registry';
import type { Dispatcher } from './dispatcher';

/**
 * Detaches the receivers of entities that forward now (`ForwardTo` set at run time, or the
 * entity it names created): Azure refuses a receiver on such an entity, and one left attached
 * would wait for ever, as nothing stays there to receive. They get the refusal a new receiver
 * gets, so a client learns why as it would on its next attach. Run after every entity change.
 */
export function detachForwardingReceivers(registry: EntityRegistry, dispatcher: Dispatcher): void {
  for (const store of registry.forwardingStores()) {
    if (!dispatcher.hasConsumers(store)) continue;
    const path = store.settings.path;
    const source = registry.receiveSource(path);
    const refusal = source && forwardingRefusal(registry, source, path, 'receiver');
    if (refusal) dispatcher.closeStore(store, refusal);
  }
}
