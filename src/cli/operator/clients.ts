import {
  ServiceBusClient,
  type ServiceBusReceiver,
  type ServiceBusReceiverOptions,
} from '@azure/service-bus';

import { sdkConnectionString } from '../../shared/connectionString';
import { amqpStackRejection } from '../../worker/amqpStackRejections';
import { describeError } from '../describeError';
import { fixRheaDispositionRanges } from '../../shared/rheaDispositions';
import { failRequestsOnDrop } from '../../shared/coreAmqpRequests';
import { endClosesOnDisconnect } from '../../shared/rheaPromiseCloses';
import { recoverFromPeerCloses } from '../../shared/rheaPeerCloses';
import { SECOND_MS } from '../../shared/time';
import type { EntityAddress } from './entityAddress';
import { keepTypedApplicationProperties } from '../../shared/typedProperties';

// Replay completes some letters and abandons others in one go; see the module for why.
fixRheaDispositionRanges();

// A connection that drops while the SDK closes something on it, or waits for a $cbs or
// $management answer on it, left the command waiting (for ever, or a minute).
endClosesOnDisconnect();
failRequestsOnDrop();
recoverFromPeerCloses();

// `peek --json` and replay copy ids, properties, annotations, footer and body, typed.
keepTypedApplicationProperties({ otherSections: true });

// Failures of the SDK's own bookkeeping, left with nothing to catch them, must not end the
// command with a Node stack: its own outcome reports the failure that led to them.
process.on('unhandledRejection', (reason: unknown) => {
  if (amqpStackRejection(reason) !== undefined) return;
  process.stderr.write(`sbworker: ${describeError(reason)}\n`);
  process.exit(1);
});

// An operator waits seconds, not minutes, to learn that the broker is not there.
const CLI_RETRY_OPTIONS = { maxRetries: 2, retryDelayInMs: 500, timeoutInMs: 20 * SECOND_MS };

export function createOperatorClient(connectionString: string): ServiceBusClient {
  return new ServiceBusClient(sdkConnectionString(connectionString), {
    retryOptions: CLI_RETRY_OPTIONS,
  });
}

/** A receiver on a queue or subscription, or on its dead-letter sub-queue. */
export function createEntityReceiver(
  client: ServiceBusClient,
  address: EntityAddress,
  options: ServiceBusReceiverOptions & { deadLetter?: boolean },
): ServiceBusReceiver {
  const { deadLetter, ...receiverOptions } = options;
  const withSubQueue: ServiceBusReceiverOptions = {
    // Bodies stay the exact bytes sent; the JSON shape decides how to show them.
    skipParsingBodyAsJson: true,
    // Keeps rhea's application-properties object, on which the typed copy hangs.
    skipConvertingDate: true,
    ...receiverOptions,
    ...(deadLetter === true ? { subQueueType: 'deadLetter' as const } : {}),
  };

  if (address.kind === 'subscription') {
    return client.createReceiver(address.topic, address.subscription, withSubQueue);
  }
  return client.createReceiver(address.name, withSubQueue);
}

/** Where a replayed copy goes: the queue itself, or the topic of a subscription. */
export function originalEntityName(address: EntityAddress): string {
  return address.kind === 'subscription' ? address.topic : address.name;
}
