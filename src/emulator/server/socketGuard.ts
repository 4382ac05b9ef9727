import type { Socket } from 'node:net';

import type { Logger } from '../../shared/logger';
import type { Connection, EventContext } from '../amqp/rhea';
import { endAfterFailedLogin } from '../auth/saslLogin';
import { sessionOnChannel } from '../amqp/rheaSessions';
import { FrameGuard, type Unit } from './frameGuard';
import type { FrameLimits, FrameViolation, SessionRefusal } from './frameViolation';

const GUARDS = new WeakMap<object, FrameGuard>();
/** How long a refused connection's `close` has to go out before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

/**
 * Sits in front of rhea's own data handler: rhea reads only the frames the guard checked, and
 * a refused connection is closed (with a `close` naming the condition when it is open) before
 * rhea sees, or starts buffering towards, the offending frame.
 */
export function guardFrames(
  socket: Socket,
  limits: FrameLimits,
  logger: Logger,
  openedConnection: (socket: Socket) => Connection | undefined,
): void {
  const frames = new FrameGuard(limits);
  GUARDS.set(socket, frames);
  const rheaHandlers = socket.listeners('data') as ((chunk: Buffer) => void)[];
  socket.removeAllListeners('data');
  let refused = false;
  const toRhea = (parts: Unit[]): void => {
    for (const part of parts) {
      if (refused) return;
      if (!Buffer.isBuffer(part)) endSession(part);
      else for (const handler of rheaHandlers) handler.call(socket, part);
    }
  };

  const refuse = (violation: FrameViolation): void => {
    refused = true;
    socket.pause();
    logger.warn('incoming AMQP refused; closing the connection', {
      remote: socket.remoteAddress,
      remotePort: socket.remotePort,
      reason: violation.reason,
      condition: violation.condition,
      ...(violation.frameSizeBytes === undefined
        ? {}
        : {
            frameSizeBytes: violation.frameSizeBytes,
            maxFrameSizeBytes: limits.maxFrameSizeBytes,
          }),
    });
    const connection = openedConnection(socket);
    if (violation.answerHeader)
      return answerHeaderAndClose(socket, violation.answerHeader, violation);
    // Destroyed with an error, so that rhea hears of it and stops its idle timer.
    if (!connection?.is_open()) return void socket.destroy(new Error(violation.reason));

    connection.close({
      condition: violation.condition,
      description: `Refused: ${violation.reason}.`,
    });
    // rhea writes the close on its next tick; end the socket once it is out.
    setImmediate(() => socket.end());
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  };

  // rhea has read the session's begin and everything before the refused frame by now.
  const endSession = (refusal: SessionRefusal): void => {
    const connection = openedConnection(socket);
    const session = connection && sessionOnChannel(connection, refusal.channel);
    if (!session) return refuse(refusal);

    logger.warn('incoming AMQP refused; ending the session', {
      remote: socket.remoteAddress,
      remotePort: socket.remotePort,
      channel: refusal.channel,
      reason: refusal.reason,
      condition: refusal.condition,
    });
    const error = { condition: refusal.condition, description: `Refused: ${refusal.reason}.` };
    // rhea writes the link's detach before the session's end.
    if (refusal.handle !== undefined) session.remote.handles?.[refusal.handle]?.close(error);
    session.close(error);
  };

  socket.on('data', (chunk: Buffer) => {
    if (refused) return;
    const inspection = frames.inspect(chunk);
    if (frames.refusedMechanism !== undefined) {
      logger.warn('SASL failed: mechanism not offered', {
        remote: socket.remoteAddress,
        remotePort: socket.remotePort,
        mechanism: frames.refusedMechanism,
      });
      frames.refusedMechanism = undefined;
      endAfterFailedLogin(socket);
    }
    toRhea(inspection.now);
    if (inspection.afterSasl.length === 0) {
      if (inspection.violation) refuse(inspection.violation);
      return;
    }

    // A pipelined AMQP header: rhea ends its SASL exchange a promise turn after the init.
    socket.pause();
    setImmediate(() => {
      if (socket.destroyed) return;
      toRhea(inspection.afterSasl);
      if (inspection.violation) refuse(inspection.violation);
      else socket.resume();
    });
  });
}

/**
 * Sends the emulator's own protocol header and ends the socket (AMQP 1.0, 2.2: a server that
 * does not support the requested protocol version answers with one it supports, then closes).
 * Further input is read and dropped, so that closing never resets the connection before the
 * client has read the header.
 */
function answerHeaderAndClose(socket: Socket, header: Buffer, violation: FrameViolation): void {
  socket.resume();
  socket.end(header);
  // Destroyed with an error, so that rhea hears of it and stops its idle timer.
  setTimeout(() => socket.destroy(new Error(violation.reason)), CLOSE_GRACE_MS).unref();
}

/**
 * A delivery its sender aborted (AMQP 1.0 2.7.5) is discarded: it is implicitly settled, so it
 * leaves rhea's session without a disposition and never reaches the broker. rhea itself does
 * not look at `aborted`; the guard saw the transfer in the chunk rhea is reading now.
 */
export function discardIfAborted(context: EventContext, logger: Logger): boolean {
  const socket = context.connection.socket;
  const guard = socket && GUARDS.get(socket);
  const delivery = context.delivery;
  // The channel the client sends this session's frames on, as the guard numbers them.
  const link = context.receiver as { session?: { remote?: { channel?: number } } } | undefined;
  const channel = link?.session?.remote?.channel;
  if (!guard || !delivery || channel === undefined) return false;
  if (!guard.wasAborted(channel, delivery.id)) return false;

  delivery.remote_settled = true;
  delivery.update(true);
  logger.debug('aborted delivery discarded', { link: context.receiver?.name, id: delivery.id });
  return true;
}
