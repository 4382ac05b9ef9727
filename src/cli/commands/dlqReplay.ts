import type { Command } from 'commander';

import { AppError } from '../../shared/errors';
import { createEntityReceiver } from '../operator/clients';
import {
  connectionFor,
  parseWholeNumber,
  writeErr,
  writeOut,
  type ConnectionFlags,
} from '../operator/commandSupport';
import {
  deadLetterPath,
  parseEntityAddress,
  readUse,
  type EntityAddress,
} from '../operator/entityAddress';
import {
  letterSelection,
  lettersNotReceived,
  noDeadLetterMatched,
  type LetterSelectionFlags,
} from '../operator/letterSelection';
import { targetManagement } from '../operator/managementTarget';
import { withOperatorClient } from '../operator/operatorFailures';
import { createProgress } from '../operator/progress';
import { newReplayWatch, replayDeadLetters, type ReplayResult } from '../operator/replay';
import {
  completeUnansweredText,
  forcedStopText,
  inBothPlacesText,
  inFlightResult,
} from '../operator/replayForcedStop';
import {
  expiryWarnings,
  refuseDroppedCopies,
  type MessageIdChoice,
} from '../operator/replaySafety';
import {
  checkReplayTarget,
  refuseSessionlessCopies,
  replayTargetName,
  sequenceNumberList,
} from '../operator/replayTarget';
import { stopOnSignal } from '../operator/stopOnSignal';
import { readTargetSettings } from '../operator/targetSettings';
import { UsageError } from '../operator/usageError';

const MAX_TIME_TO_LIVE_S = 10 * 365 * 24 * 60 * 60;

export interface ReplayFlags extends ConnectionFlags, LetterSelectionFlags {
  to?: string;
  newMessageId?: boolean;
  keepMessageId?: boolean;
  timeToLive?: string;
  httpPort?: string;
  batchSize: string;
  json?: boolean;
}

export async function runReplay(
  entity: string,
  flags: ReplayFlags,
  _command: Command,
): Promise<void> {
  const address = parseEntityAddress(entity);
  const selection = letterSelection(flags, 'replay', 'ask');
  const target = replayTargetName(address, flags.to);
  const batchSize = parseWholeNumber('--batch-size', flags.batchSize, 1, 1000);
  const messageIds = messageIdChoice(flags);
  const httpPort =
    flags.httpPort === undefined
      ? undefined
      : parseWholeNumber('--http-port', flags.httpPort, 1, 65_535);
  const timeToLiveMs =
    flags.timeToLive === undefined
      ? undefined
      : parseWholeNumber('--time-to-live', flags.timeToLive, 1, MAX_TIME_TO_LIVE_S) * 1000;
  const connection = connectionFor(flags, readUse(address, 'dlq replay'), {
    entity: target,
    what: flags.to === undefined ? 'dlq replay sends to' : '--to names',
  });
  const management = targetManagement(connection, httpPort);
  const watch = newReplayWatch();
  const jsonSummary = (
    outcome: 'replayed' | 'interrupted' | 'stopped' | 'forced',
    result: ReplayResult,
    signal?: string,
  ): string =>
    JSON.stringify({
      outcome,
      ...(signal === undefined ? {} : { signal }),
      source: deadLetterPath(address),
      target,
      endpoint: connection.endpoint,
      selected: result.selected,
      replayed: result.replayed,
      // Sequence numbers in the source's dead-letter queue, every one (the text names ten).
      tooLarge: result.tooLarge,
      maxSizeInBytes: result.maxSizeInBytes,
      sentNotCompleted: result.sentNotCompleted,
      completeUnanswered: result.completeUnanswered,
      ...(outcome === 'forced' ? { uncertain: watch.sending } : {}),
      ...(outcome !== 'forced' && result.uncertain.length > 0
        ? { uncertain: result.uncertain }
        : {}),
      ...(result.notGivenBack > 0 ? { notGivenBack: result.notGivenBack } : {}),
    }) + '\n';
  const summary = (result: ReplayResult): string =>
    `replayed ${result.replayed} of ${result.selected} selected dead letter(s) from` +
    ` ${address.display} to ${target} (${connection.endpoint})`;
  const interruption = stopOnSignal({
    stopsAfter: 'after the letters in hand',
    nothingInHand: () =>
      watch.selecting ? 'the letters are still being selected; none is locked' : undefined,
    onForcedStop: (signal) => {
      const result = inFlightResult(watch);
      writeErr(forcedStopText(signal, summary(result), watch, address));
      if (flags.json === true) writeOut(jsonSummary('forced', result, signal));
    },
  });
  // Nothing was locked, so nothing waits on the broker: its client is left to the exit.
  const stoppedWhileSelecting = (): boolean => interruption.signal.aborted && watch.selecting;

  const result = await withOperatorClient(
    connection,
    async (client) => {
      const sender = client.createSender(target);
      const outcome = await replayDeadLetters({
        openReceiver: () =>
          createEntityReceiver(client, address, { deadLetter: true, receiveMode: 'peekLock' }),
        sender,
        target,
        select: selection.matches,
        source: deadLetterPath(address),
        newMessageId: messageIds === 'new',
        timeToLiveMs,
        receiveBatchSize: batchSize,
        beforeReceive: async (letters) => {
          refuseSessionlessCopies(address, target, letters);
          await checkReplayTarget(client, sender, target, letters);
          const read = await readTargetSettings(management, target);
          refuseDroppedCopies(target, read, messageIds, letters);
          if (read.unreadable !== undefined) {
            writeErr(
              `warning: could not read the settings of ${target} (${read.unreadable}); its` +
                ' duplicate detection and default time to live were not checked\n',
            );
          }
          for (const line of expiryWarnings(target, read.settings, letters, timeToLiveMs)) {
            writeErr(`${line}\n`);
          }
        },
        onSelected: (count) =>
          count > 0 ? createProgress({ verb: 'replayed', total: count }) : undefined,
        signal: interruption.signal,
        stopWaiting: interruption.stopWaiting,
        watch,
      });
      if (outcome.failure === undefined) return outcome;

      // How far it got comes first; the error follows on the CLI's failure path.
      writeOut(
        flags.json === true
          ? jsonSummary('stopped', outcome)
          : `stopped by an error: ${summary(outcome)}\n${leftBehind(outcome, address)}`,
      );
      throw outcome.failure;
    },
    { readsFrom: address, exitsWithoutClose: stoppedWhileSelecting },
  ).finally(() => interruption.dispose());

  if (result.interrupted && flags.json === true) {
    writeOut(jsonSummary('interrupted', result, interruption.received()));
    return endInterrupted(interruption.exitCode(), stoppedWhileSelecting());
  }
  if (result.interrupted && result.replayed === 0) {
    writeOut(
      `interrupted by ${interruption.received() ?? 'a signal'} before any letter was replayed:` +
        ` every letter is still in ${deadLetterPath(address)}\n`,
    );
    return endInterrupted(interruption.exitCode(), stoppedWhileSelecting());
  }
  if (result.interrupted) {
    // The same summary as a finished replay, saying what is left; the exit code says "signal".
    writeOut(
      `interrupted by ${interruption.received() ?? 'a signal'}: ${summary(result)};` +
        ` ${result.selected - result.replayed} selected letter(s) were not replayed and are` +
        ` still in ${deadLetterPath(address)} (run the same replay again to continue;` +
        ` \`sbworker stats ${address.display}\` shows the current counts)\n` +
        leftBehind(result, address),
    );
    process.exitCode = interruption.exitCode();
    return;
  }

  if (result.selected === 0 && !selection.every) {
    throw noDeadLetterMatched(address.display, selection.described);
  }
  writeOut(
    flags.json === true
      ? jsonSummary('replayed', result)
      : `${summary(result)}\n${leftBehind(result, address)}`,
  );
  const unreceived = result.selected - result.replayed - result.tooLarge.length;
  if (unreceived > 0) {
    throw lettersNotReceived(unreceived, 'replay');
  }
  if (result.tooLarge.length > 0) {
    const listed = flags.json === true ? 'listed in tooLarge' : 'listed above';
    throw new AppError(
      'MessageSizeExceeded',
      `${result.tooLarge.length} selected letter(s) were not replayed: over a size limit,` +
        ` ${listed}; they stay in the dead-letter queue`,
      { retryable: false },
    );
  }
}

/**
 * The exit code of a replay a signal stopped. Stopped during the selection, the process exits
 * once its output is written, without waiting on a client whose broker may not answer.
 */
function endInterrupted(exitCode: number, atOnce: boolean): void {
  process.exitCode = exitCode;
  if (atOnce) process.stdout.write('', () => process.exit(exitCode));
}

/** Lines for letters that did not simply move: copies too large, or sent but not completed. */
function leftBehind(result: ReplayResult, address: EntityAddress): string {
  const lines: string[] = [];
  const queue = deadLetterPath(address);
  if (result.tooLarge.length > 0) {
    lines.push(
      `${result.tooLarge.length} selected letter(s) stay in ${queue}: their copies would exceed` +
        ` the target's message size limit of ${result.maxSizeInBytes ?? '?'} bytes or the header` +
        ' limits (32 KB for one application property, 64 KB for all properties) (sequence' +
        ` numbers ${sequenceNumberList(result.tooLarge)}; \`sbworker dlq show ${address.display}` +
        ' --sequence-number N --json` shows one)',
    );
  }
  if (result.sentNotCompleted.length > 0) {
    const { sentNotCompleted } = result;
    lines.push(inBothPlacesText(sentNotCompleted, queue, sequenceNumberList(sentNotCompleted)));
  }
  if (result.completeUnanswered.length > 0) {
    const { completeUnanswered } = result;
    lines.push(
      completeUnansweredText(completeUnanswered, address, sequenceNumberList(completeUnanswered)),
    );
  }
  if (result.uncertain.length > 0) {
    lines.push(
      `the copies of ${result.uncertain.length} letter(s) were being sent and got no answer:` +
        ` they may have arrived or not, and the letters are still in ${queue} (sequence` +
        ` numbers ${sequenceNumberList(result.uncertain)}; a copy that arrived carries it as` +
        ' ReplayedSequenceNumber)',
    );
  }
  if (result.notGivenBack > 0) {
    lines.push(
      `${result.notGivenBack} letter(s) received but not replayed could not be given back (the` +
        ` broker refused or did not answer): they return to ${queue} when their locks expire`,
    );
  }
  return lines.map((line) => `${line}\n`).join('');
}

function messageIdChoice(flags: ReplayFlags): MessageIdChoice {
  if (flags.newMessageId === true && flags.keepMessageId === true) {
    throw new UsageError('give --new-message-id or --keep-message-id, not both');
  }
  if (flags.newMessageId === true) return 'new';
  return flags.keepMessageId === true ? 'keep' : 'refuse-on-duplicate-detection';
}
