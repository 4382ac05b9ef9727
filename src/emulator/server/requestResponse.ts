import type { ResponseMessage } from '../amqp/responses';
import type { AmqpMessage, Delivery, Sender } from '../amqp/rhea';

/**
 * Request/response nodes ($cbs, $management): the client opens a pair of links and names its
 * receiving link in `reply_to`. The reply goes to the link whose name or target address
 * equals it (the CBS receiver has no target address; $management's has both).
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

  /** Whether a reply to the request has an attached link to go to. */
  canReply(request: AmqpMessage): boolean {
    return this.linkFor(request) !== undefined;
  }

  reply(request: AmqpMessage, response: ResponseMessage): boolean {
    const link = this.linkFor(request);
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

  private linkFor(request: AmqpMessage): Sender | undefined {
    const replyTo = request.reply_to;
    const link = typeof replyTo === 'string' ? this.links.get(replyTo) : undefined;
    return link?.is_open() ? link : undefined;
  }
}
