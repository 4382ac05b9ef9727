import type { Listener, ListenerDeps } from './listener';
import { MessageListener } from './messageListener';
import { ReceiveLoopListener } from './receiveLoopListener';

/** The listener for a function's trigger shape: single messages, sessions, or batches. */
export function createListener(deps: ListenerDeps): Listener {
  if (deps.fn.isSessionsEnabled || deps.fn.cardinality === 'many')
    return new ReceiveLoopListener(deps);
  return new MessageListener(deps);
}
