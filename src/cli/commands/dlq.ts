import { constants as osConstants } from 'node:os';

import type { Command } from 'commander';

import { createEntityReceiver } from '../operator/clients';
import {
  connectionFor,
  jsonLines,
  operatorAction,
  parseWholeNumber,
  withConnectionOption,
  writeErr,
  writeOut,
  type ConnectionFlags,
} from '../operator/commandSupport';
import { deadLetterPath, parseEntityAddress, readUse } from '../operator/entityAddress';
import { toMessageJson, type MessageJson } from '../operator/messageJson';
import { deadLetterTable, messageDetail } from '../operator/messageViews';
import { withOperatorClient } from '../operator/operatorFailures';
import { peekUpTo } from '../operator/peekAll';
import { createProgress } from '../operator/progress';
import { purgeDeadLetters } from '../operator/purge';
import { replayDeadLetters } from '../operator/replay';
import { checkReplayTarget, replayTargetName } from '../operator/replayTarget';
import { UsageError } from '../operator/usageError';

const ENTITY_HELP = 'queue, or <topic>/subscriptions/<name>';

export function registerDlqCommand(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('list, show, replay or purge dead-lettered messages');

  const list = dlq
    .command('list')
    .description('list dead letters with their reason and description')
    .argument('<entity>', ENTITY_HELP)
    .option('--count <n>', 'how many, from the oldest', '100')
    .option('--json', 'JSON lines (the `peek --json` shape)')
    .addHelpText('after', '\nExample:\n  sbworker dlq list orders\n');
  withConnectionOption(list).action(operatorAction(runList));

  const show = dlq
    .command('show')
    .description('show dead letters in full: every property and the body')
    .argument('<entity>', ENTITY_HELP)
    .option('--message-id <id>', 'the letters with this message id')
    .option('--sequence-number <n>', 'the letter with this sequence number')
    .option('--json', 'JSON lines (the `peek --json` shape)')
    .addHelpText('after', '\nExample:\n  sbworker dlq show orders --message-id 536365\n');
  withConnectionOption(show).action(operatorAction(runShow));

  const replay = dlq
    .command('replay')
    .description(
      'send dead letters back to their entity; each leaves the DLQ only once its copy is sent',
    )
    .argument('<entity>', ENTITY_HELP)
    .option('--all', 'every letter present when the replay starts')
    .option('--message-id <id>', 'only letters with this message id')
    .option('--reason <text>', 'only letters with this dead-letter reason (any case)')
    .option('--to <entity>', 'queue or topic for the copies (default: the queue, or the topic)')
    .option(
      '--new-message-id',
      'give each copy a new message id (entities with duplicate detection)',
    )
    .option('--batch-size <n>', 'letters received, copied and completed per step', '50')
    .addHelpText(
      'after',
      '\nExamples:\n  sbworker dlq replay orders --all\n' +
        '  sbworker dlq replay orders --reason MaxDeliveryCountExceeded\n',
    );
  withConnectionOption(replay).action(operatorAction(runReplay));

  const purge = dlq
    .command('purge')
    .description('delete every dead letter (asks for --yes)')
    .argument('<entity>', ENTITY_HELP)
    .option('--yes', 'really delete them')
    .addHelpText('after', '\nExample:\n  sbworker dlq purge orders --yes\n');
  withConnectionOption(purge).action(operatorAction(runPurge));
}

interface ListFlags extends ConnectionFlags {
  count: string;
  json?: boolean;
}

async function runList(entity: string, flags: ListFlags, _command: Command): Promise<void> {
  const address = parseEntityAddress(entity);
  const count = parseWholeNumber('--count', flags.count, 1, 100_000);

  const letters = await peekDeadLetters(address, flags, count, 'dlq list');
  if (flags.json === true) writeOut(jsonLines(letters));
  else if (letters.length === 0) writeOut(`no dead letters in ${address.display}\n`);
  else writeOut(deadLetterTable(letters));
}

interface ShowFlags extends ConnectionFlags {
  messageId?: string;
  sequenceNumber?: string;
  json?: boolean;
}

async function runShow(entity: string, flags: ShowFlags, _command: Command): Promise<void> {
  const address = parseEntityAddress(entity);
  if ((flags.messageId === undefined) === (flags.sequenceNumber === undefined)) {
    throw new UsageError('give one of --message-id or --sequence-number');
  }
  if (flags.sequenceNumber !== undefined && !/^\d+$/.test(flags.sequenceNumber)) {
    const given = flags.sequenceNumber;
    throw new UsageError(`--sequence-number must be a whole number, got "${given}"`);
  }

  const letters = (await peekDeadLetters(address, flags, Infinity, 'dlq show')).filter((letter) =>
    flags.messageId !== undefined
      ? letter.messageId === flags.messageId
      : letter.sequenceNumber === flags.sequenceNumber,
  );
  if (letters.length === 0) throw new Error(`no such dead letter in ${address.display}`);

  if (flags.json === true) writeOut(jsonLines(letters));
  else writeOut(letters.map(messageDetail).join('\n'));
}

interface ReplayFlags extends ConnectionFlags {
  all?: boolean;
  messageId?: string;
  reason?: string;
  to?: string;
  newMessageId?: boolean;
  batchSize: string;
}

async function runReplay(entity: string, flags: ReplayFlags, _command: Command): Promise<void> {
  const address = parseEntityAddress(entity);
  const select = replaySelection(flags);
  const target = replayTargetName(address, flags.to);
  const batchSize = parseWholeNumber('--batch-size', flags.batchSize, 1, 1000);
  const connection = connectionFor(flags, readUse(address, 'dlq replay'), {
    entity: target,
    what: flags.to === undefined ? 'dlq replay sends to' : '--to names',
  });
  const interruption = stopOnSignal();

  const result = await withOperatorClient(
    connection,
    (client) => {
      const sender = client.createSender(target);
      return replayDeadLetters({
        receiver: createEntityReceiver(client, address, {
          deadLetter: true,
          receiveMode: 'peekLock',
        }),
        sender,
        select,
        source: deadLetterPath(address),
        newMessageId: flags.newMessageId === true,
        receiveBatchSize: batchSize,
        beforeReceive: (letters) => checkReplayTarget(client, sender, target, letters),
        onSelected: (count) =>
          count > 0 ? createProgress({ verb: 'replayed', total: count }) : undefined,
        signal: interruption.signal,
      });
    },
    { readsFrom: address },
  ).finally(() => interruption.dispose());

  const replayedText =
    `replayed ${result.replayed} of ${result.selected} selected dead letter(s) from` +
    ` ${address.display} to ${target} (${connection.endpoint})`;
  if (result.interrupted) {
    // The same summary as a finished replay, saying what is left; the exit code says "signal".
    writeOut(
      `interrupted by ${interruption.received() ?? 'a signal'}: ${replayedText};` +
        ` ${result.selected - result.replayed} selected letter(s) were not replayed and are` +
        ` still in ${deadLetterPath(address)} (run the same replay again to continue;` +
        ` \`sbworker stats ${address.display}\` shows the current counts)\n`,
    );
    process.exitCode = interruption.exitCode();
    return;
  }

  if (result.selected === 0 && flags.all !== true) {
    throw new Error(`no dead letter in ${address.display} matched ${describeFilter(flags)}`);
  }
  writeOut(`${replayedText}\n`);
  if (result.replayed < result.selected) {
    throw new Error(
      `${result.selected - result.replayed} selected letter(s) could not be received` +
        ' (locked by another receiver or removed meanwhile); run the replay again',
    );
  }
}

interface Interruption {
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** 128 + the signal's number, as a shell reports a process ended by it (130 for SIGINT). */
  exitCode(): number;
  dispose(): void;
}

/**
 * Ctrl+C (or SIGTERM) during a replay: the first one lets the batch in hand finish, so the
 * summary can say exactly how far the replay got; a second one exits at once, which is safe too,
 * because a letter leaves the dead-letter queue only after its copy was sent.
 */
function stopOnSignal(): Interruption {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const exitCode = (): number => 128 + (received === undefined ? 2 : osConstants.signals[received]);

  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) process.exit(exitCode());
    received = signal;
    writeErr(`${signal}: stopping after the letters in hand (again to stop at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    exitCode,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function describeFilter(flags: ReplayFlags): string {
  const parts: string[] = [];
  if (flags.messageId !== undefined) parts.push(`--message-id ${flags.messageId}`);
  if (flags.reason !== undefined) parts.push(`--reason ${flags.reason}`);
  return parts.join(' and ');
}

function replaySelection(flags: ReplayFlags): (letter: MessageJson) => boolean {
  const filtered = flags.messageId !== undefined || flags.reason !== undefined;
  if (flags.all === true && filtered) {
    throw new UsageError('--all replays everything; leave out --message-id and --reason');
  }
  if (flags.all !== true && !filtered) {
    throw new UsageError('say what to replay: --all, --message-id ID or --reason TEXT');
  }

  const reason = flags.reason?.toLowerCase();
  return (letter) =>
    (flags.messageId === undefined || letter.messageId === flags.messageId) &&
    (reason === undefined || letter.deadLetterReason?.toLowerCase() === reason);
}

interface PurgeFlags extends ConnectionFlags {
  yes?: boolean;
}

async function runPurge(entity: string, flags: PurgeFlags, _command: Command): Promise<void> {
  const address = parseEntityAddress(entity);
  if (flags.yes !== true) {
    throw new UsageError(
      `purge deletes every dead letter of ${address.display} for good; add --yes`,
    );
  }
  const connection = connectionFor(flags, readUse(address, 'dlq purge'));

  const purged = await withOperatorClient(
    connection,
    (client) => {
      const receiver = createEntityReceiver(client, address, {
        deadLetter: true,
        receiveMode: 'receiveAndDelete',
      });
      return purgeDeadLetters(receiver, (count) => writeErr(`purged ${count}\n`));
    },
    { readsFrom: address },
  );
  writeOut(`purged ${purged} dead letter(s) from ${address.display} (${connection.endpoint})\n`);
}

async function peekDeadLetters(
  address: ReturnType<typeof parseEntityAddress>,
  flags: ConnectionFlags,
  count: number,
  command: string,
): Promise<MessageJson[]> {
  return withOperatorClient(
    connectionFor(flags, readUse(address, command)),
    async (client) => {
      const receiver = createEntityReceiver(client, address, { deadLetter: true });
      return (await peekUpTo(receiver, count)).map(toMessageJson);
    },
    { readsFrom: address },
  );
}
