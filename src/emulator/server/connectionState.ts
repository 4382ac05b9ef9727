import type { Logger } from '../../shared/logger';
import { ConnectionAuth } from '../auth/connectionAuth';
import type { Connection } from '../amqp/rhea';
import type { OutgoingBackPressure } from './backPressure';
import type { Consumer } from './consumer';
import { ReplyLinks } from './requestResponse';
import { TokenWatch } from './tokenWatch';

const STATE = Symbol('sbworker.connectionState');
let nextConnectionId = 1;

/** What the broker keeps per client connection: its grants, reply links and consumers. */
export class ConnectionState {
  readonly id = `c${nextConnectionId++}`;
  readonly auth = new ConnectionAuth();
  readonly replies = new ReplyLinks();
  readonly consumers = new Set<Consumer>();
  /** The entity links, detached when the token they were attached with expires. */
  readonly tokens: TokenWatch;
  /** Set when the first receiver attaches (see `OutgoingBackPressure`). */
  backPressure: OutgoingBackPressure | undefined;
  readonly logger: Logger;

  constructor(logger: Logger, now: () => number) {
    this.logger = logger.child({ connection: this.id });
    this.tokens = new TokenWatch(this.auth, now, this.logger);
  }

  static of(connection: Connection, logger: Logger, now: () => number): ConnectionState {
    let state = connection[STATE] as ConnectionState | undefined;
    if (!state) {
      state = new ConnectionState(logger, now);
      connection[STATE] = state;
    }
    return state;
  }

  static peek(connection: Connection): ConnectionState | undefined {
    return connection[STATE] as ConnectionState | undefined;
  }
}
