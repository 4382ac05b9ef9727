import type { ServiceBusClient } from '@azure/service-bus';

/**
 * Works around a leak in `@azure/service-bus` 7.9.5. The client keeps its streaming receivers in
 * a table by link name. A receiver that reconnects gets a new link name, but its entry stays
 * under the old one, and closing it removes only the new name: every receiver replaced after
 * an outage stayed in the table for good (and was told of each later disconnect), about 11 KB
 * a function an outage. This removes the entries of receivers that are closed for good.
 *
 * It reads the SDK's private fields; when they are not there (another SDK version), it does
 * nothing.
 */
export function forgetClosedReceivers(client: ServiceBusClient): void {
  const table = (client as unknown as { _connectionContext?: { messageReceivers?: unknown } })
    ._connectionContext?.messageReceivers;
  if (typeof table !== 'object' || table === null) return;

  const receivers = table as Record<string, { _wasClosedPermanently?: unknown } | undefined>;
  for (const [name, receiver] of Object.entries(receivers)) {
    if (receiver?._wasClosedPermanently === true) delete receivers[name];
  }
}
