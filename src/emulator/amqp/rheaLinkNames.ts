/**
 * AMQP 1.0 (2.6.1) names a link by its name and its direction: a session may hold a sender
 * and a receiver of the same name (Qpid Proton's reactor gives a sender and a receiver on one
 * address the same name). rhea 3.0.5 keeps a session's links in one table keyed by name alone
 * (lib/session.js): the second attach would reach the first link, of the other direction, and
 * its detach would take the first link's entry with it. This keeps the table keyed by name and
 * direction instead, around rhea's own code, which still reads and writes the plain name.
 */

interface RheaLink {
  name: string;
  is_sender(): boolean;
}

interface AttachFrame {
  performative: { name: string; role: boolean };
}

/** The parts of a rhea session that hold its links by name. */
interface LinkTable {
  links: Record<string, RheaLink | undefined>;
  create_link(name: string, constructor: unknown, options?: object): RheaLink;
  remove_link(link: RheaLink): void;
  on_attach(frame: AttachFrame): void;
}

/** The table key of a link: a fixed-length direction mark, then the name (one key per pair). */
function keyOf(isSender: boolean, name: string): string {
  return `${isSender ? 'S' : 'R'}${name}`;
}

/** Call once per session, before any attach reaches it (rhea's `session_open`). */
export function keyLinksByDirection(session: object): void {
  const table = session as LinkTable;
  const create = table.create_link.bind(session);
  const remove = table.remove_link.bind(session);
  const onAttach = table.on_attach.bind(session);

  // rhea's table is a plain object, so a link named `toString` or `__proto__` read (or set)
  // what Object.prototype holds; a table with no prototype holds only links.
  table.links = Object.assign(Object.create(null) as LinkTable['links'], table.links);

  // rhea's code reads and writes `links[name]`; around it that entry holds what rhea should
  // see there, and whatever the table held under that text comes back afterwards.
  const withPlainName = <T>(name: string, link: RheaLink | undefined, action: () => T): T => {
    const held = Object.hasOwn(table.links, name) ? table.links[name] : undefined;
    if (link === undefined) delete table.links[name];
    else table.links[name] = link;
    try {
      return action();
    } finally {
      if (held === undefined) delete table.links[name];
      else table.links[name] = held;
    }
  };

  table.create_link = (name, constructor, options) => {
    const link = withPlainName(name, undefined, () => create(name, constructor, options));
    table.links[keyOf(link.is_sender(), name)] = link;
    return link;
  };
  table.remove_link = (link) => {
    withPlainName(link.name, link, () => remove(link));
    delete table.links[keyOf(link.is_sender(), link.name)];
  };
  table.on_attach = (frame) => {
    const { name, role } = frame.performative;
    // The peer's role `true` is a receiver, so the broker's end of that link is the sender.
    const existing = table.links[keyOf(role === true, name)];
    withPlainName(name, existing, () => onAttach(frame));
  };
}
