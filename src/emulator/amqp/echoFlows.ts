import type { RheaSession } from './rheaSessions';

interface FlowFields {
  handle?: number;
  drain?: boolean;
  echo?: boolean;
}

/** rhea's session internals an echo answer uses. */
interface EchoingSession {
  on_flow(frame: { performative: FlowFields }): void;
  _write_flow(link?: object): void;
  remote: { handles?: Record<number, object | undefined> };
}

/**
 * Answers a flow that asks for an echo (AMQP 1.0 §2.7.4: the receiver of such a flow SHOULD
 * send its own flow state back), which rhea ignores: with a handle, the link's flow state; a
 * flow without one, the session's. A drain already gets its answer from the drain (see
 * drainCredit.ts), so it is not answered twice.
 */
export function answerEchoFlows(session: RheaSession): void {
  const echoing = session as unknown as EchoingSession;
  const onFlow = echoing.on_flow;
  echoing.on_flow = function onFlowWithEcho(this: EchoingSession, frame): void {
    onFlow.call(this, frame);
    const fields = frame.performative;
    if (fields.echo !== true) return;

    if (typeof fields.handle !== 'number') {
      this._write_flow();
      return;
    }
    const link = this.remote.handles?.[fields.handle];
    if (link && fields.drain !== true) this._write_flow(link);
  };
}
