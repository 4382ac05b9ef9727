import type { Command } from 'commander';

import { createEntityReceiver } from '../operator/clients';
import {
  connectionFor,
  jsonLines,
  shownOf,
  operatorAction,
  parseWholeNumber,
  withConnectionOption,
  writeOut,
  type ConnectionFlags,
} from '../operator/commandSupport';
import { parseEntityAddress, readUse } from '../operator/entityAddress';
import { toMessageJson } from '../operator/messageJson';
import { peekTable } from '../operator/messageViews';
import { withOperatorClient } from '../operator/operatorFailures';
import { peekUpTo } from '../operator/peekAll';

interface PeekFlags extends ConnectionFlags {
  dlq?: boolean;
  count: string;
  json?: boolean;
}

const MAX_PEEK_COUNT = 100_000;

export function registerPeekCommand(program: Command): void {
  const command = program
    .command('peek')
    .description('show waiting messages without taking them (nothing is locked or settled)')
    .argument('<entity>', 'queue, or <topic>/subscriptions/<name>')
    .option('--dlq', 'peek the dead-letter queue instead')
    .option('--count <n>', 'how many messages, from the oldest', '10')
    .option('--json', 'JSON lines in the shape `send --file` reads, bodies complete')
    .addHelpText(
      'after',
      '\nExamples:\n  sbworker peek orders --count 20\n' +
        '  sbworker peek orders --dlq --json > letters.jsonl\n',
    );
  withConnectionOption(command).action(operatorAction(runPeek));
}

async function runPeek(entity: string, flags: PeekFlags, _command: Command): Promise<void> {
  const address = parseEntityAddress(entity);
  const count = parseWholeNumber('--count', flags.count, 1, MAX_PEEK_COUNT);
  const connection = connectionFor(flags, readUse(address, 'peek'));

  const messages = await withOperatorClient(
    connection,
    async (client) => {
      const receiver = createEntityReceiver(client, address, { deadLetter: flags.dlq === true });
      // One more than asked, to tell whether the listing is the whole entity.
      return (await peekUpTo(receiver, count + 1)).map(toMessageJson);
    },
    { readsFrom: address },
  ).then((peeked) => shownOf(peeked, count));

  if (flags.json === true) {
    writeOut(jsonLines(messages));
  } else if (messages.length === 0) {
    writeOut(
      `no messages in ${address.display}${flags.dlq === true ? ' (dead-letter queue)' : ''}\n`,
    );
  } else {
    writeOut(peekTable(messages, flags.dlq === true));
  }
}
