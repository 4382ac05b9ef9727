import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';

import { buildBatchTriggerMetadata, batchInputData } from './batchInput';
import type { DispatchResult } from './dispatcher';
import type { InFlightMessage, MessageHandlerDeps } from './messageHandler';
import { failureFields } from './messageHandler';
import { messageIdText } from '../shared/messageIdText';
import { decideSettlement, settle } from './settle';
import type { ReceivedMessageLike } from './triggerInput';

/**
 * Handles one batch (`cardinality: 'many'`) as the host's batch loop does: one invocation for
 * all messages, no lock renewal, then every message completed (success with auto-complete) or
 * abandoned (failure) unless shutdown already abandoned them. Once settling, shutdown leaves
 * them to this invocation.
 */
export async function handleBatch(
  deps: MessageHandlerDeps,
  receiver: ServiceBusReceiver,
  entries: InFlightMessage[],
): Promise<DispatchResult> {
  const { fn } = deps;
  const messages = entries.map(
    (entry) => entry.message as ServiceBusReceivedMessage & ReceivedMessageLike,
  );

  const outcome = await deps.dispatcher.dispatch(
    fn,
    () => ({
      inputData: [
        {
          name: fn.triggerBindingName,
          data: batchInputData(messages, fn.dataType, deps.triggerInfo.includeEmptyEntries),
        },
      ],
      triggerMetadata: buildBatchTriggerMetadata(messages, deps.triggerInfo),
    }),
    () => {
      if (entries.some((entry) => entry.settledByShutdown)) return false;
      for (const entry of entries) entry.settling = true;
      return true;
    },
  );

  const settlement = decideSettlement({
    result: outcome.result,
    autoCompleteMessages: fn.autoCompleteMessages,
  });
  const results = await Promise.all(
    entries.map((entry) => {
      if (entry.settledByShutdown) return 'abandonedAtShutdown';
      // As for one message: shutdown now leaves it to this settlement, whether or not the
      // function had outputs to claim it, so that no abandon follows its complete.
      entry.settling = true;
      return settle(receiver, entry.message, settlement, deps.logger, outcome.invocationId);
    }),
  );

  // The invocation logger already binds `function`.
  const fields = {
    invocationId: outcome.invocationId,
    messageCount: messages.length,
    messageIds: messages.map((m) => messageIdText(m.messageId)),
    durationMs: Math.round(outcome.durationMs),
    outcome: outcome.result,
    settlement: [...new Set(results)].join(','),
  };
  if (outcome.result === 'succeeded')
    deps.invocationLogger.info(`Executed '${fn.name}' on a batch (succeeded)`, fields);
  else
    deps.invocationLogger.error(`Executed '${fn.name}' on a batch (${outcome.result})`, {
      ...fields,
      ...failureFields(outcome.error),
    });
  return outcome;
}
