import type { Command } from 'commander';

import { batchMayHaveArrived, packBatches, sendBatches } from '../operator/batchSender';
import {
  connectionFor,
  operatorAction,
  withConnectionOption,
  writeOut,
  type ConnectionFlags,
} from '../operator/commandSupport';
import { parseSendTarget } from '../operator/entityAddress';
import { fromMessageJson } from '../operator/messageJson';
import { withOperatorClient } from '../operator/operatorFailures';
import { createProgress } from '../operator/progress';
import { messagesFromFlags, type SendFlags } from '../operator/sendInput';

export function registerSendCommand(program: Command): void {
  const command = program
    .command('send')
    .description("send messages to a queue or topic, in batches sized to the entity's limit")
    .argument('<entity>', 'queue or topic name')
    .option(
      '--file <path>',
      'JSON lines, one message a line, as `peek --json` prints (- for stdin)',
    )
    .option('--csv <path>', 'an order CSV, sent as order messages through the order converter')
    .option('--body <text>', 'one message with this body (sent as its UTF-8 bytes)')
    .option('--content-type <type>', 'content type of every message')
    .option('--message-id <id>', 'message id (only when sending one message)')
    .option('--session-id <id>', 'session id of every message')
    .option('--subject <text>', 'subject (label) of every message')
    .option('--correlation-id <id>', 'correlation id of every message')
    .option('--property <key=value>', 'application property, repeatable', collect, [])
    .option('--scheduled <time>', 'ISO 8601 time at which the messages become visible')
    .option('--json', 'the summary as one JSON object (also when the send stops part-way)')
    .addHelpText(
      'after',
      '\nExamples:\n  sbworker peek orders --dlq --json > letters.jsonl\n' +
        '  sbworker send orders --file letters.jsonl\n' +
        '  sbworker send orders --csv orders.csv\n' +
        '  sbworker send orders --body \'{"ping":1}\' ' +
        '--content-type application/json --property source=ops\n',
    );
  withConnectionOption(command).action(operatorAction(runSend));
}

async function runSend(
  entity: string,
  flags: SendFlags & ConnectionFlags & { json?: boolean },
  _command: Command,
): Promise<void> {
  const target = parseSendTarget(entity, 'send');
  const inputs = messagesFromFlags(flags);
  const messages = inputs.map((input) => fromMessageJson(input.message));
  const connection = connectionFor(flags, { entity: target, what: 'send targets' });

  const summaryOf = (sent: SendCounts, failedBatch?: FailedBatch): SendSummary => ({
    outcome: failedBatch === undefined ? 'sent' : 'stopped',
    entity: target,
    endpoint: connection.endpoint,
    total: messages.length,
    sent: sent.sent,
    batches: sent.batches,
    ...(failedBatch === undefined
      ? {}
      : { [failedBatch.mayHaveArrived ? 'uncertain' : 'refused']: failedBatch.count }),
  });
  const render = flags.json === true ? summaryJson : summaryText;

  const result = await withOperatorClient(connection, async (client) => {
    const sender = client.createSender(target);
    // Every message is sized against the entity's limit before the first one goes out.
    const batches = await packBatches(sender, messages, {
      describeMessage: (index) => inputs[index]?.where ?? `message ${index + 1}`,
    });

    const progress = createProgress({ verb: 'sent', total: messages.length });
    const sent = await sendBatches(sender, batches, progress);
    progress.finish();
    if (sent.failure === undefined) return sent;

    // How far it got comes first; the error follows on the CLI's failure path.
    const count = batches[sent.batches]?.count ?? 0;
    writeOut(render(summaryOf(sent, { count, mayHaveArrived: batchMayHaveArrived(sent.failure) })));
    throw sent.failure;
  });
  writeOut(render(summaryOf(result)));
}

interface SendCounts {
  sent: number;
  batches: number;
}

interface FailedBatch {
  count: number;
  mayHaveArrived: boolean;
}

interface SendSummary extends SendCounts {
  outcome: 'sent' | 'stopped';
  entity: string;
  endpoint: string;
  total: number;
  /** When stopped without an answer: the messages of the batch, which may have arrived or not. */
  uncertain?: number;
  /** When stopped by the broker's refusal of the batch: its messages, none of which arrived. */
  refused?: number;
}

function summaryJson(summary: SendSummary): string {
  return `${JSON.stringify(summary)}\n`;
}

function summaryText(summary: SendSummary): string {
  const { entity, endpoint, sent, batches } = summary;
  const head = `sent ${sent} of ${summary.total} message(s) to ${entity} in ${batches} batch(es)`;
  if (summary.refused !== undefined) {
    return (
      `stopped by an error: ${head} (${endpoint}); the broker refused the batch in hand` +
      ` (${summary.refused} message(s)), so none of it arrived, and the rest were not sent\n`
    );
  }
  if (summary.uncertain !== undefined) {
    return (
      `stopped by an error: ${head} (${endpoint}); the batch in hand when it failed` +
      ` (${summary.uncertain} message(s)) may have arrived or not, the rest were not sent\n`
    );
  }
  return `sent ${sent} message(s) to ${entity} in ${batches} batch(es) (${endpoint})\n`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
