import type { Logger } from '../../shared/logger';
import { ConnectionAuth } from '../auth/connectionAuth';
import type { Connection } from '../amqp/rhea';
import type { OutgoingBackPressure } from './backPressure';
import type { Consumer } from './consumer';
import { ReplyLinks } from './requestResponse';

const STATE = Symbol('sbworker.connectionState');
let nextConnectionId = 1;

/** What the broker keeps per client connection: its grants, reply links and consumers. */
export class ConnectionState {
  readonly id = `c${nextConnectionId++}`;
  readonly auth = new ConnectionAuth();
  readonly replies = new ReplyLinks();
  readonly consumers = new Set<Consumer>();
  /** Set when the first receiver attaches (see `OutgoingBackPressure`). */
  backPressure: OutgoingBackPressure | undefined;
  readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger.child({ connection: this.id });
  }

  static of(connection: Connection, logger: Logger): ConnectionState {
    let state = connection[STATE] as ConnectionState | undefined;
    if (!state) {
      state = new ConnectionState(logger);
      connection[STATE] = state;
    }
    return state;
  }

  static peek(connection: Connection): ConnectionState | undefined {
    return connection[STATE] as ConnectionState | undefined;
  }
}
