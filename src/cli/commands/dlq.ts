import type { Command } from 'commander';

import { createEntityReceiver } from '../operator/clients';
import {
  connectionFor,
  jsonLines,
  shownOf,
  operatorAction,
  parseWholeNumber,
  withConnectionOption,
  writeErr,
  writeOut,
  type ConnectionFlags,
} from '../operator/commandSupport';
import { deadLetterPath, parseEntityAddress, readUse } from '../operator/entityAddress';
import { idText } from '../operator/messageIdJson';
import { toMessageJson, type MessageJson } from '../operator/messageJson';
import { deadLetterTable, messageDetail } from '../operator/messageViews';
import { withOperatorClient } from '../operator/operatorFailures';
import { peekPages, peekUpTo } from '../operator/peekAll';
import {
  letterSelection,
  lettersNotReceived,
  noDeadLetterMatched,
  type LetterSelectionFlags,
} from '../operator/letterSelection';
import { purgeDeadLetters, purgeSelectedDeadLetters } from '../operator/purge';
import { UsageError } from '../operator/usageError';
import { runReplay } from './dlqReplay';

const ENTITY_HELP = 'queue, or <topic>/subscriptions/<name>';

export function registerDlqCommand(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('list, show, replay or purge dead-lettered messages');

  const list = dlq
    .command('list')
    .description('list dead letters with their reason and description')
    .argument('<entity>', ENTITY_HELP)
    .option('--all', 'every letter (the default when no selection is given)')
    .option('--message-id <id>', 'only letters with this message id (as replay and purge pick)')
    .option('--reason <text>', 'only letters with this dead-letter reason (any case)')
    .option('--count <n>', 'how many, from the oldest', '100')
    .option('--json', 'JSON lines (the `peek --json` shape)')
    .addHelpText(
      'after',
      '\nExamples:\n  sbworker dlq list orders\n' +
        '  sbworker dlq list orders --reason MaxDeliveryCountExceeded  # what replay would take\n',
    );
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
      'give each copy a new message id, the original kept as ReplayedMessageId (needed' +
        ' for a target with duplicate detection)',
    )
    .option(
      '--keep-message-id',
      "keep the letters' message ids even though the target detects duplicates (when its" +
        ' window has passed since they were sent)',
    )
    .option(
      '--time-to-live <seconds>',
      "each copy's time to live (default: its letter's; see the warning for expired letters)",
    )
    .option('--batch-size <n>', 'letters received, copied and completed per step', '50')
    .option(
      '--http-port <port>',
      "the emulator's management (HTTP) port, to read the target's settings (default 5300" +
        ' beside AMQP port 5672)',
    )
    .option('--json', 'the summary as one JSON object (also when interrupted or stopped)')
    .addHelpText(
      'after',
      '\nExamples:\n  sbworker dlq replay orders --all\n' +
        '  sbworker dlq replay orders --reason MaxDeliveryCountExceeded\n',
    );
  withConnectionOption(replay).action(operatorAction(runReplay));

  const purge = dlq
    .command('purge')
    .description('delete dead letters: every one, or those selected (asks for --yes)')
    .argument('<entity>', ENTITY_HELP)
    .option('--all', 'every letter (the default when no selection is given)')
    .option('--message-id <id>', 'only letters with this message id')
    .option('--reason <text>', 'only letters with this dead-letter reason (any case)')
    .option('--yes', 'really delete them')
    .option('--json', 'the summary as one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  sbworker dlq purge orders --yes\n' +
        '  sbworker dlq purge orders --reason SchemaViolation --yes\n',
    );
  withConnectionOption(purge).action(operatorAction(runPurge));
}

interface ListFlags extends ConnectionFlags, LetterSelectionFlags {
  count: string;
  json?: boolean;
}

async function runList(entity: string, flags: ListFlags, _command: Command): Promise<void> {
  const address = parseEntityAddress(entity);
  // The selection replay and purge make, so a listing previews what they would take.
  const selection = letterSelection(flags, 'list', 'every');
  const count = parseWholeNumber('--count', flags.count, 1, 100_000);

  // One more than asked, to tell whether the listing is the whole selection.
  const peeked = await peekDeadLetters(address, flags, count + 1, 'dlq list', selection.matches);
  const letters = shownOf(peeked, count, selection.every ? undefined : '');
  if (flags.json === true) writeOut(jsonLines(letters));
  else if (letters.length > 0) writeOut(deadLetterTable(letters));
  else if (selection.every) writeOut(`no dead letters in ${address.display}\n`);
  else writeOut(`no dead letter in ${address.display} matched ${selection.described}\n`);
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
      ? idText(letter.messageId) === flags.messageId
      : letter.sequenceNumber === flags.sequenceNumber,
  );
  if (letters.length === 0) throw noDeadLetterMatched(address.display);

  if (flags.json === true) writeOut(jsonLines(letters));
  else writeOut(letters.map(messageDetail).join('\n'));
}

interface PurgeFlags extends ConnectionFlags, LetterSelectionFlags {
  yes?: boolean;
  json?: boolean;
}

async function runPurge(entity: string, flags: PurgeFlags, _command: Command): Promise<void> {
  const address = parseEntityAddress(entity);
  const selection = letterSelection(flags, 'purge', 'every');
  if (flags.yes !== true) {
    const which = selection.every
      ? 'every dead letter'
      : `the dead letters matching ${selection.described}`;
    throw new UsageError(`purge deletes ${which} of ${address.display} for good; add --yes`);
  }
  const connection = connectionFor(flags, readUse(address, 'dlq purge'));
  const onBatch = (count: number): void => writeErr(`purged ${count}\n`);

  const result = await withOperatorClient(
    connection,
    async (client) => {
      if (selection.every) {
        const receiver = createEntityReceiver(client, address, {
          deadLetter: true,
          receiveMode: 'receiveAndDelete',
        });
        const purged = await purgeDeadLetters(receiver, onBatch);
        return { selected: purged, purged, kept: 0 };
      }
      return purgeSelectedDeadLetters({
        openReceiver: () =>
          createEntityReceiver(client, address, { deadLetter: true, receiveMode: 'peekLock' }),
        select: selection.matches,
        onBatch,
      });
    },
    { readsFrom: address },
  );

  if (result.selected === 0 && !selection.every) {
    throw noDeadLetterMatched(address.display, selection.described);
  }
  const from = deadLetterPath(address);
  const { purged, kept } = result;
  writeOut(
    flags.json === true
      ? `${JSON.stringify({ entity: from, endpoint: connection.endpoint, purged, kept })}\n`
      : `purged ${purged} dead letter(s) from ${address.display}, kept ${kept}` +
          ` (${connection.endpoint})\n`,
  );
  const unreceived = result.selected - purged;
  if (unreceived > 0) {
    throw lettersNotReceived(unreceived, 'purge');
  }
}

/** The first `count` dead letters that `select` keeps, peeked page by page from the oldest. */
async function peekDeadLetters(
  address: ReturnType<typeof parseEntityAddress>,
  flags: ConnectionFlags,
  count: number,
  command: string,
  select?: (letter: MessageJson) => boolean,
): Promise<MessageJson[]> {
  return withOperatorClient(
    connectionFor(flags, readUse(address, command)),
    async (client) => {
      const receiver = createEntityReceiver(client, address, { deadLetter: true });
      if (select === undefined) return (await peekUpTo(receiver, count)).map(toMessageJson);

      const letters: MessageJson[] = [];
      for await (const page of peekPages(receiver)) {
        letters.push(...page.map(toMessageJson).filter(select));
        if (letters.length >= count) break;
      }
      return letters.slice(0, count);
    },
    { readsFrom: address },
  );
}
