import type { Command } from 'commander';

import {
  batchMayHaveArrived,
  packBatches,
  sendBatches,
  type SendProgress,
} from '../operator/batchSender';
import {
  connectionFor,
  operatorAction,
  withConnectionOption,
  writeErr,
  writeOut,
  type ConnectionFlags,
} from '../operator/commandSupport';
import { parseSendTarget } from '../operator/entityAddress';
import { fromMessageJson } from '../operator/messageToSend';
import { withOperatorClient } from '../operator/operatorFailures';
import { createProgress } from '../operator/progress';
import { messagesFromFlags, type SendFlags, type SendInput } from '../operator/sendInput';
import { exitAtOnceOnSignal, stopOnSignal, type Interruption } from '../operator/stopOnSignal';

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
    .option(
      '--from-line <n>',
      'with --file: start at this line (an interrupted send names it)',
      collect,
    )
    .option(
      '--from-order <id>',
      'with --csv: start at this order (an interrupted send names it)',
      collect,
    )
    .option('--json', 'the summary as one JSON object (also when the send stops part-way)')
    .addHelpText(
      'after',
      '\nExamples:\n  sbworker peek orders --dlq --json > letters.jsonl\n' +
        '  sbworker send orders --file letters.jsonl\n' +
        '  sbworker send orders --csv orders.csv\n' +
        '  sbworker send orders --csv orders.csv --from-order 536370\n' +
        '  sbworker send orders --body \'{"ping":1}\' ' +
        '--content-type application/json --property source=ops\n',
    );
  withConnectionOption(command).action(operatorAction(runSend));
}

/** A signal before the first batch went out: the input was only read and checked. */
const NOTHING_SENT = 'stopped before sending: nothing was sent';

async function runSend(
  entity: string,
  flags: SendFlags & ConnectionFlags & { json?: boolean },
  _command: Command,
): Promise<void> {
  const target = parseSendTarget(entity, 'send');
  const stopListeningBeforeSending = exitAtOnceOnSignal(NOTHING_SENT);
  const inputs = messagesFromFlags(flags);
  const messages = inputs.map((input) => fromMessageJson(input.message));
  const connection = connectionFor(flags, { entity: target, what: 'send targets' });

  const summaryOf = (sent: SendCounts, stop?: SendStop): SendSummary => ({
    outcome: stop?.outcome ?? 'sent',
    ...(stop?.signal === undefined ? {} : { signal: stop.signal }),
    entity: target,
    endpoint: connection.endpoint,
    total: messages.length,
    sent: sent.sent,
    batches: sent.batches,
    ...(stop?.batch === undefined
      ? {}
      : { [stop.batch.mayHaveArrived ? 'uncertain' : 'refused']: stop.batch.count }),
    // A failed send has its own advice (fix and send again); a signal leaves a clean cut.
    ...(stop === undefined || stop.outcome === 'stopped' ? {} : resumeAt(inputs[sent.sent])),
  });
  const render = flags.json === true ? summaryJson : summaryText;
  let summaryWritten = false;
  const writeSummary = (summary: SendSummary): void => {
    summaryWritten = true;
    writeOut(render(summary));
  };
  // Until the command ends: a signal while the client closes must not kill it without a word.
  let interruption: Interruption | undefined;

  const sendAll = (): Promise<SendCounts | undefined> =>
    withOperatorClient(connection, async (client) => {
      const sender = client.createSender(target);
      // Every message is sized against the entity's limit before the first one goes out.
      const batches = await packBatches(sender, messages, {
        describeMessage: (index) => inputs[index]?.where ?? `message ${index + 1}`,
      });

      const progress = createProgress({ verb: 'sent', total: messages.length });
      const watch: SendProgress = { sent: 0, batches: 0, sending: 0 };
      stopListeningBeforeSending();
      interruption = stopOnSignal({
        stopsAfter: 'after the batch in flight',
        onForcedStop: (signal) => {
          // A summary already written said it all; the forced stop only ends the closing.
          if (summaryWritten) return;
          progress.finish();
          const batch = { count: watch.sending, mayHaveArrived: true };
          const stop = { outcome: 'forced' as const, signal, batch };
          const summary = summaryOf(
            watch,
            watch.sending > 0 ? stop : { ...stop, batch: undefined },
          );
          writeErr(summaryText(summary));
          if (flags.json === true) writeOut(summaryJson(summary));
        },
      });
      const sent = await sendBatches(sender, batches, {
        progress,
        signal: interruption.signal,
        stopWaiting: interruption.stopWaiting,
        watch,
      });
      progress.finish();
      const signal = interruption.received();
      if (sent.interrupted === true && signal !== undefined) {
        const unanswered = sent.unanswered;
        const batch =
          unanswered === undefined ? undefined : { count: unanswered, mayHaveArrived: true };
        writeSummary(summaryOf(sent, { outcome: 'interrupted', signal, batch }));
        process.exitCode = interruption.exitCode();
        return undefined;
      }
      if (sent.failure === undefined) return sent;

      // How far it got comes first; the error follows on the CLI's failure path.
      const count = batches[sent.batches]?.count ?? 0;
      const batch = { count, mayHaveArrived: batchMayHaveArrived(sent.failure) };
      writeSummary(summaryOf(sent, { outcome: 'stopped', batch }));
      throw sent.failure;
    });
  try {
    const result = await sendAll();
    if (result !== undefined) writeSummary(summaryOf(result));
  } finally {
    stopListeningBeforeSending();
    interruption?.dispose();
  }
}

/** Where a stopped send would go on: the first message not acknowledged. */
function resumeAt(
  input: SendInput | undefined,
): Pick<SendSummary, 'resumeAt' | 'resumeLine' | 'resumeOrder'> {
  if (input === undefined) return {};
  return {
    resumeAt: input.where,
    ...(input.line === undefined ? {} : { resumeLine: input.line }),
    ...(input.order === undefined ? {} : { resumeOrder: input.order }),
  };
}

/** The flag that starts the same input where a stopped send would go on. */
function resumeFlag(summary: SendSummary): string {
  if (summary.resumeLine !== undefined) return ` (go on with --from-line ${summary.resumeLine})`;
  if (summary.resumeOrder !== undefined) return ` (go on with --from-order ${summary.resumeOrder})`;
  return '';
}

interface SendStop {
  outcome: 'stopped' | 'interrupted' | 'forced';
  signal?: NodeJS.Signals;
  /** The batch in flight when it stopped, if one was. */
  batch?: FailedBatch;
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
  outcome: 'sent' | SendStop['outcome'];
  signal?: NodeJS.Signals;
  entity: string;
  endpoint: string;
  total: number;
  /** When stopped without an answer: the messages of the batch, which may have arrived or not. */
  uncertain?: number;
  /** When stopped by the broker's refusal of the batch: its messages, none of which arrived. */
  refused?: number;
  /** When stopped: the first message not acknowledged, "letters.jsonl line 12744". */
  resumeAt?: string;
  /** When stopped and read from a `--file`: that message's line. */
  resumeLine?: number;
  /** When stopped and read from a `--csv`: that message's order id. */
  resumeOrder?: string;
}

function summaryJson(summary: SendSummary): string {
  return `${JSON.stringify(summary)}\n`;
}

function summaryText(summary: SendSummary): string {
  const { entity, endpoint, sent, batches } = summary;
  const head = `sent ${sent} of ${summary.total} message(s) to ${entity} in ${batches} batch(es)`;
  const next =
    summary.resumeAt === undefined
      ? ''
      : `; the first not sent is ${summary.resumeAt}${resumeFlag(summary)}`;
  if (summary.outcome === 'interrupted') {
    const stopped = `interrupted by ${summary.signal}: ${head} (${endpoint})`;
    const inFlight =
      summary.uncertain === undefined
        ? ''
        : `; the batch in flight (${summary.uncertain} message(s)) got no answer and may have` +
          ' arrived or not';
    const after =
      summary.uncertain === undefined ? next : next.replace('not sent', 'not acknowledged');
    return `${stopped}${inFlight}; the rest were not sent${after}\n`;
  }
  if (summary.outcome === 'forced') {
    const inFlight =
      summary.uncertain === undefined
        ? ''
        : `; the batch in flight (${summary.uncertain} message(s)) may have arrived or not`;
    return (
      `${summary.signal} again: stopped at once: ${head}, acknowledged (${endpoint})${inFlight};` +
      ` the rest were not sent${next.replace('not sent', 'not acknowledged')}\n`
    );
  }
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

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
