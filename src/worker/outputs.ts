import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus';

import { mostTellingAttempt } from '../shared/attemptErrors';
import { AppError, ensureError } from '../shared/errors';
import type { ClientPool } from './clients';
import type { RpcInvocationResponse, RpcTypedData } from './coreTypes';
import type { ServiceBusOutput } from './functionPlan';

export const RETURN_BINDING_NAME = '$return';

export interface PendingOutput {
  output: ServiceBusOutput;
  bodies: Buffer[];
}

/**
 * Collects the Service Bus output values from the library's invocation response. As in Azure a
 * Node output binding carries the body only: text and JSON become UTF-8 bodies, bytes stay
 * bytes, and a JSON array sends one message per element.
 */
export function collectOutputs(
  response: RpcInvocationResponse,
  outputs: ServiceBusOutput[],
): PendingOutput[] {
  const pending: PendingOutput[] = [];
  for (const output of outputs) {
    const data =
      output.bindingName === RETURN_BINDING_NAME
        ? response.returnValue
        : response.outputData?.find((item) => item.name === output.bindingName)?.data;
    const bodies = outputBodies(data);
    if (bodies.length > 0) pending.push({ output, bodies });
  }
  return pending;
}

export function outputBodies(data: RpcTypedData | null | undefined): Buffer[] {
  if (data === null || data === undefined) return [];
  if (typeof data.string === 'string') return [Buffer.from(data.string, 'utf8')];
  if (data.bytes !== undefined && data.bytes !== null) return [Buffer.from(data.bytes)];
  if (typeof data.int === 'number') return [Buffer.from(String(data.int))];
  if (typeof data.double === 'number') return [Buffer.from(String(data.double))];
  if (typeof data.json !== 'string') return [];

  const parsed: unknown = JSON.parse(data.json);
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items
    .filter((item) => item !== null && item !== undefined)
    .map((item) => Buffer.from(typeof item === 'string' ? item : JSON.stringify(item), 'utf8'));
}

/** Sends output messages with one cached sender per connection and entity. */
export class OutputSender {
  readonly #senders = new Map<string, Promise<ServiceBusSender>>();

  constructor(private readonly clients: ClientPool) {}

  /**
   * @throws AppError `OutputSendFailed` when the broker refuses a send. Its message names the
   *   output and the entity; the refusal is its `cause` (the invocation line's `causeCode` and
   *   `cause`), and it is retryable only when that refusal is.
   */
  async send(pending: PendingOutput[]): Promise<void> {
    for (const { output, bodies } of pending) {
      const messages: ServiceBusMessage[] = bodies.map((body) => ({ body }));
      try {
        const sender = await this.#sender(output);
        await sender.sendMessages(messages);
      } catch (error) {
        const cause = ensureError(error);
        throw new AppError(
          'OutputSendFailed',
          `sending output ${output.bindingName} to ${output.entityName} failed`,
          { retryable: causeIsRetryable(cause), cause },
        );
      }
    }
  }

  async closeAll(): Promise<void> {
    const senders = [...this.#senders.values()];
    this.#senders.clear();
    await Promise.allSettled(senders.map(async (sender) => (await sender).close()));
  }

  #sender(output: ServiceBusOutput): Promise<ServiceBusSender> {
    const key = `${output.connectionName}\u0000${output.entityName}`;
    let sender = this.#senders.get(key);
    if (sender === undefined) {
      sender = this.clients
        .get(output.connectionName)
        .then(({ client }) => client.createSender(output.entityName));
      this.#senders.set(key, sender);
    }
    return sender;
  }
}

/**
 * Whether sending again can help, as the refusal says: the SDK's ServiceBusError and our
 * AppError carry `retryable` (a missing entity does not come back by retrying). An error that
 * says nothing is taken as not retryable, as unknown errors are elsewhere.
 */
function causeIsRetryable(cause: Error): boolean {
  const telling = mostTellingAttempt(cause) as { retryable?: unknown } | undefined;
  return telling?.retryable === true;
}
