/**
 * The floor under any host that runs each invocation through the `@azure/functions` library, as
 * the worker's design requires: a bare `subscribe()` loop (SDK auto-complete, the same concurrency)
 * whose message handler builds the host-shaped input and invokes the bench app's function
 * through the library's invocation model, and does nothing else: no invocation log line, no
 * lock renewal, no function timeout, no settlement of its own. The worker cannot be faster
 * than this; the benchmark prints its rate beside the bare loop's and the worker's.
 *
 * Started by worker-throughput.ts as a child process with BENCH_CONNECTION, BENCH_QUEUE and
 * BENCH_TARGET set. The bench app's function writes the report line to stderr when it has
 * handled BENCH_TARGET messages.
 */
import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';

import { loadApp } from '../../src/worker/appLoader';
import { invokeRegistered } from '../../src/worker/invoke';
import { receiverOptions } from '../../src/worker/listener';
import {
  buildTraceContext,
  buildTriggerMetadata,
  bodyAsHostString,
  type ReceivedMessageLike,
  triggerInputData,
} from '../../src/worker/triggerInput';
import { APP, CONCURRENCY } from './common';

export async function libraryFloorConsumer(): Promise<void> {
  const env = process.env;
  const app = await loadApp(APP, () => undefined);
  const [registered] = app.registry.functions.values();
  if (registered === undefined) throw new Error(`${APP} registered no function`);
  const triggerName = Object.keys(registered.metadata.bindings).find((name) =>
    /trigger$/i.test(registered.metadata.bindings[name]?.type ?? ''),
  );
  const triggerInfo = {
    isSessionsEnabled: false,
    fullyQualifiedNamespace: '127.0.0.1',
    clientIdentifier: 'library-floor',
  };

  // Stopped by the benchmark once the report is out.
  process.once('SIGTERM', () => process.exit(0));
  const client = new ServiceBusClient(env.BENCH_CONNECTION ?? '');
  const receiver = client.createReceiver(env.BENCH_QUEUE ?? '', receiverOptions());
  let invocation = 0;
  receiver.subscribe(
    {
      processMessage: async (received: ServiceBusReceivedMessage) => {
        const message = received as ServiceBusReceivedMessage & ReceivedMessageLike;
        const data = triggerInputData(message, undefined);
        const request = {
          invocationId: `floor-${(invocation += 1)}`,
          functionId: registered.metadata.name,
          inputData: [{ name: triggerName ?? 'message', data }],
          triggerMetadata: buildTriggerMetadata(message, triggerInfo, bodyAsHostString(message)),
          traceContext: buildTraceContext(message),
        };
        await invokeRegistered(app.registry, registered, request, () => undefined);
      },
      processError: async () => undefined,
    },
    { maxConcurrentCalls: CONCURRENCY },
  );
}
