/**
 * The parts of rhea's sessions (rhea 3.0.5 lib/session.js) that the emulator reaches into:
 * rhea exports no session type and declares no handle-max of its own.
 */
import type { AmqpError, Connection, Sender } from './rhea';

export interface RheaSession {
  local: { begin: { handle_max?: number } };
  each_sender(action: (link: Sender) => void): void;
  close(error?: AmqpError): void;
}

/** The session the client begun on `channel` (rhea maps sessions by the client's channel). */
export function sessionOnChannel(connection: Connection, channel: number): RheaSession | undefined {
  const byChannel = (connection as unknown as { remote_channel_map?: Record<number, RheaSession> })
    .remote_channel_map;
  return byChannel?.[channel];
}
