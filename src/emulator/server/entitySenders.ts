import type { Connection, Receiver } from '../amqp/rhea';
import type { EntityRegistry, SendTarget } from '../entities/registry';
import { entityDeleted } from './entityDeleted';

interface AttachedSender {
  target: SendTarget;
  address: string;
}

/**
 * The links clients send to queues and topics on, by connection. A delete detaches those of
 * the entity, as it detaches its receivers: a link left attached would refuse every later send
 * with not-found, even once an entity of that name is created again, and the SDK opens a new
 * link only after its old one has closed.
 */
export class EntitySenders {
  private readonly byConnection = new Map<Connection, Map<Receiver, AttachedSender>>();

  add(link: Receiver, target: SendTarget, address: string): void {
    let links = this.byConnection.get(link.connection);
    if (links === undefined) {
      links = new Map();
      this.byConnection.set(link.connection, links);
    }
    links.set(link, { target, address });
  }

  remove(link: Receiver): void {
    this.byConnection.get(link.connection)?.delete(link);
  }

  /** A session that ended without detaching its links took them with it. */
  removeSession(connection: Connection, session: object): void {
    const links = this.byConnection.get(connection);
    for (const link of links?.keys() ?? []) {
      if (link.session === session) links?.delete(link);
    }
  }

  removeConnection(connection: Connection): void {
    this.byConnection.delete(connection);
  }

  /**
   * Detaches every link whose entity the registry no longer has under its address (deleted,
   * or deleted and created again): the SDK reopens its sender on the next send then.
   */
  detachDeleted(registry: EntityRegistry): void {
    for (const links of this.byConnection.values()) {
      for (const [link, { target, address }] of links) {
        if (registry.sendTarget(address) === target) continue;
        links.delete(link);
        const error = entityDeleted(target.name);
        if (link.is_open()) link.close({ condition: error.condition, description: error.message });
      }
    }
  }
}
