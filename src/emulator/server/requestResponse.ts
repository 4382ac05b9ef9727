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

  reply(request: AmqpMessage, response: ResponseMessage): boolean {
    const replyTo = request.reply_to;
    const link = replyTo ? this.links.get(replyTo) : undefined;
    if (!link || !link.is_open()) return false;
    const delivery = (link as unknown as { send(message: object): Delivery }).send({
      correlation_id: request.message_id,
      to: replyTo,
      application_properties: response.properties,
      body: response.body,
    });
    // A reply needs no acknowledgement, so it leaves pre-settled (reply links are in mixed
    // mode). Unsettled, rhea would keep it in the session's buffer for the connection's life.
    delivery.settled = true;
    return true;
  }
}
