import type { ResponseMessage } from '../amqp/responses';
import type { AmqpMessage, Delivery, Receiver, Sender } from '../amqp/rhea';

/**
 * Request/response nodes ($cbs, $management): the client opens a pair of links and names its
 * receiving link in `reply_to`. The reply goes to the link whose name or target address
 * equals it (the CBS receiver has no target address; $management's has both). A request
 * without `reply_to` (the Python SDK's AMQP layer sends none, and Azure answers it) is
 * answered on the client's receiving link of the same node in the same session.
 */
export class ReplyLinks {
  private readonly links = new Map<string, Sender>();

  add(link: Sender): void {
    this.links.set(link.name, link);
    const target = link.remote.attach.target?.address;
    if (target) this.links.set(target, link);
  }

  remove(link: Sender): void {
    for (const [key, value] of this.links) if (value === link) this.links.delete(key);
  }

  /** Whether a reply to the request, which came on `via`, has an attached link to go to. */
  canReply(request: AmqpMessage, via: Receiver): boolean {
    return this.linkFor(request, via) !== undefined;
  }

  reply(request: AmqpMessage, via: Receiver, response: ResponseMessage): boolean {
    const link = this.linkFor(request, via);
    if (!link) return false;
    const delivery = (link as unknown as { send(message: object): Delivery }).send({
      correlation_id: request.message_id,
      to: request.reply_to,
      application_properties: response.properties,
      body: response.body,
    });
    // A reply needs no acknowledgement, so it leaves pre-settled (reply links are in mixed
    // mode). Unsettled, rhea would keep it in the session's buffer for the connection's life.
    delivery.settled = true;
    return true;
  }

  private linkFor(request: AmqpMessage, via: Receiver): Sender | undefined {
    const replyTo = request.reply_to;
    if (replyTo !== undefined && replyTo !== null) {
      const link = typeof replyTo === 'string' ? this.links.get(replyTo) : undefined;
      return link?.is_open() ? link : undefined;
    }

    const node = via.remote.attach.target?.address;
    for (const link of new Set(this.links.values())) {
      const { source, target } = link.remote.attach;
      const sameNode = source?.address === node || target?.address === node;
      if (sameNode && link.session === via.session && link.is_open()) return link;
    }
    return undefined;
  }
}
