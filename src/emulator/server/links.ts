import type { Logger } from '../../shared/logger';
import { verifySasToken } from '../auth/sas';
import type { Broker } from '../broker/broker';
import { forwardingRefusal } from '../broker/forwardingRefusal';
import { receiveDisabledRefusal } from '../broker/entityStatus';
import { sessionMismatch } from '../broker/sessionMismatch';
import { drainCreditAtOnce } from '../amqp/drainCredit';
import type { ParsedMessage } from '../amqp/messageCodec';
import {
  type AmqpMessage,
  type Delivery,
  type EventContext,
  type Receiver,
  type Sender,
} from '../amqp/rhea';
import { BrokerError, Condition } from '../amqp/wire';
import type { NamespaceConfig } from '../config/types';
import type { SendTarget } from '../entities/registry';
import type { ManagementNode } from '../management/management';
import { OutgoingBackPressure } from './backPressure';
import type { ConnectionState } from './connectionState';
import { Consumer } from './consumer';
import type { Dispatcher } from './dispatcher';
import { whenDurable } from './durable';
import { deadLetterQueueSend, unsupportedAttach } from './unsupportedAttach';
import type { EntitySenders } from './entitySenders';
import { detachedByBroker, refuse } from './linkRefusal';
import { attachManagementLink, managementEntityPath } from './managementLinks';
import { cbsResponse, managementResponse } from '../amqp/responses';
import { settleAccepted, settleRejected } from './outcomes';
import { messagesOfTransfer } from './transferChecks';

const ROLE = Symbol('sbworker.linkRole');

type IncomingRole =
  | { kind: 'cbs' }
  | { kind: 'management'; entityPath: string }
  | { kind: 'entity'; target: SendTarget; address: string };

type OutgoingRole = { kind: 'reply' } | { kind: 'consumer'; consumer: Consumer };

export interface LinkDeps {
  broker: Broker;
  namespace: NamespaceConfig;
  dispatcher: Dispatcher;
  /** The links clients send to entities on, which a delete detaches. */
  senders: EntitySenders;
  management: ManagementNode;
  logger: Logger;
}

/** The client opened a sending link: $cbs, $management or an entity to send to. */
export function openIncoming(link: Receiver, state: ConnectionState, deps: LinkDeps): void {
  const unsupported = unsupportedAttach(link, true);
  if (unsupported) return refuse(link, unsupported);
  const address = link.remote.attach.target?.address ?? '';
  link.set_target({ address });

  if (address === '$cbs') {
    link[ROLE] = { kind: 'cbs' } satisfies IncomingRole;
    return;
  }
  const managed = managementEntityPath(address);
  if (managed !== undefined) {
    if (!attachManagementLink(link, address, state, deps.broker.now())) return;
    link[ROLE] = { kind: 'management', entityPath: managed } satisfies IncomingRole;
    return;
  }

  // Authorization before existence, as Service Bus checks: without a token for it, a missing
  // entity is refused like an existing one, so names cannot be probed.
  try {
    state.auth.require(address, 'Send', deps.broker.now());
  } catch (error) {
    return refuse(link, error);
  }
  const target = deps.broker.registry.sendTarget(address);
  if (!target) {
    const deadLetterQueue = deps.broker.registry.receiveSource(address)?.store.settings;
    if (deadLetterQueue?.isDeadLetterQueue) return refuse(link, deadLetterQueueSend(address));
    return refuse(link, notFound(address));
  }
  link.local.attach.max_message_size = deps.namespace.maxMessageSizeBytes;
  link[ROLE] = { kind: 'entity', target, address } satisfies IncomingRole;
  deps.senders.add(link, target, address);
  state.tokens.watch(link, {
    address,
    right: 'Send',
    drop: (error) => {
      if (!detachedByBroker(link)) refuse(link, error);
    },
  });
  state.logger.debug('sender attached', { entity: address, link: link.name });
}

/** The client opened a receiving link: a reply link or an entity to receive from. */
export function openOutgoing(link: Sender, state: ConnectionState, deps: LinkDeps): void {
  drainCreditAtOnce(link);
  const unsupported = unsupportedAttach(link, false);
  if (unsupported) return refuse(link, unsupported);
  const remote = link.remote.attach;
  const address = remote.source?.address ?? '';
  link.set_source({ address });

  const managed = managementEntityPath(address) !== undefined;
  if (address === '$cbs' || managed) {
    if (managed && !attachManagementLink(link, address, state, deps.broker.now())) return;
    link.set_target({ address: remote.target?.address ?? '' });
    state.replies.add(link);
    link[ROLE] = { kind: 'reply' } satisfies OutgoingRole;
    return;
  }

  try {
    state.auth.require(address, 'Listen', deps.broker.now());
  } catch (error) {
    return refuse(link, error);
  }
  const source = deps.broker.registry.receiveSource(address);
  if (!source) return refuse(link, notFound(address));
  link.set_target({ address: remote.target?.address ?? '' });
  const forwarding = forwardingRefusal(deps.broker.registry, source, address, 'receiver');
  if (forwarding) return refuse(link, forwarding);

  const receiveAndDelete = remote.snd_settle_mode === 1;
  if (receiveAndDelete) link.local.attach.snd_settle_mode = 1;
  link.local.attach.rcv_settle_mode = remote.rcv_settle_mode ?? 0;
  const consumer = new Consumer(
    link,
    source,
    receiveAndDelete ? 'receiveAndDelete' : 'peekLock',
    state.logger,
    deps.broker.now,
    (acknowledge, onFailure) => whenDurable(deps.broker.journal, acknowledge, onFailure),
    backPressureOf(link, state, deps),
  );

  const sessionful = source.store.settings.requiresSession;
  const asksForSession =
    remote.source?.filter != null && 'com.microsoft:session-filter' in remote.source.filter;
  if (sessionful !== asksForSession) return refuse(link, sessionMismatch(address, sessionful));
  const disabled = receiveDisabledRefusal(source.owner);
  if (disabled) return refuse(link, disabled);

  if (sessionful) {
    try {
      const outcome = deps.dispatcher.attachSession(consumer, remote, address);
      if (outcome === 'waiting') {
        // Undo rhea's automatic attach reply: it goes out once a session turns up.
        link.state.local_open = false;
        link.state.open_requests = 0;
      }
    } catch (error) {
      return refuse(link, error);
    }
  }

  link[ROLE] = { kind: 'consumer', consumer } satisfies OutgoingRole;
  state.consumers.add(consumer);
  state.tokens.watch(link, {
    address,
    right: 'Listen',
    drop: (error) => {
      // Already detached here (entity deleted, forwarding switched on) and the client's answer
      // not in yet: a second attach and detach on that handle would break the link protocol.
      if (detachedByBroker(link)) return;
      closeOutgoing(link, state, deps);
      // A session receiver still waiting for a session has not had its attach answered.
      if (!link.state.local_open) link.open();
      refuse(link, error);
    },
  });
  deps.dispatcher.add(consumer);
  deps.dispatcher.markAvailable(source.store);
  state.logger.debug('receiver attached', {
    entity: address,
    link: link.name,
    mode: consumer.mode,
    sessionId: consumer.sessionId,
  });
}

/** One per connection: its receivers wait together while its socket is full. */
function backPressureOf(
  link: Sender,
  state: ConnectionState,
  deps: LinkDeps,
): OutgoingBackPressure {
  state.backPressure ??= new OutgoingBackPressure(link.connection.socket, () => {
    for (const consumer of state.consumers) deps.dispatcher.markAvailable(consumer.store);
  });
  return state.backPressure;
}

export function consumerOf(link: Sender | undefined): Consumer | undefined {
  const role = link?.[ROLE] as OutgoingRole | undefined;
  return role?.kind === 'consumer' ? role.consumer : undefined;
}

export function closeOutgoing(link: Sender, state: ConnectionState, deps: LinkDeps): void {
  const consumer = consumerOf(link);
  state.replies.remove(link);
  state.tokens.forget(link);
  // A receiver detached for an expired token is closed again when the client answers.
  if (!consumer || !state.consumers.delete(consumer)) return;
  deps.dispatcher.remove(consumer);
  state.logger.debug('receiver detached', {
    entity: consumer.store.settings.path,
    link: link.name,
  });
}

/** A transfer from the client: a CBS or management request, or messages to enqueue. */
export function onIncomingMessage(
  context: EventContext,
  state: ConnectionState,
  deps: LinkDeps,
): void {
  const link = context.receiver!;
  const delivery = context.delivery!;
  const role = link[ROLE] as IncomingRole | undefined;
  if (!role) return;

  if (role.kind === 'cbs' || role.kind === 'management') {
    const request = context.message as AmqpMessage;
    if (!state.replies.canReply(request, link)) {
      return refuseUnanswerable(delivery, role.kind, state);
    }
    settleAccepted(delivery);
    if (role.kind === 'cbs') return handleCbs(request, link, state, deps);

    const response = deps.management.handle(role.entityPath, request, state.auth, state.consumers);
    whenDurable(
      deps.broker.journal,
      () => state.replies.reply(request, link, response),
      (error: unknown) => {
        state.logger.warn('management change not stored', { error });
        state.replies.reply(request, link, journalFailureResponse());
      },
    );
    return;
  }
  receiveMessages(role.target, role.address, context, delivery, state, deps);
}

function receiveMessages(
  target: SendTarget,
  address: string,
  context: EventContext,
  delivery: Delivery,
  state: ConnectionState,
  deps: LinkDeps,
): void {
  let parsed: ParsedMessage[];
  try {
    state.auth.require(address, 'Send', deps.broker.now());
    // The entity may have been deleted (or deleted and re-created) since the link attached.
    if (deps.broker.registry.sendTarget(address) !== target) throw notFound(address);
    parsed = messagesOfTransfer(context, deps.namespace.maxMessageSizeBytes);
  } catch (error) {
    return rejectSend(delivery, error, state, address);
  }

  try {
    deps.broker.send(target, parsed);
  } catch (error) {
    return rejectSend(delivery, error, state, address);
  }

  whenDurable(
    deps.broker.journal,
    () => settleAccepted(delivery),
    (error: unknown) => rejectSend(delivery, error, state, address),
  );
}

/** What a management request gets when its change could not be written to the data folder. */
function journalFailureResponse(): ReturnType<typeof managementResponse> {
  return managementResponse(
    500,
    'The broker could not store the change.',
    undefined,
    Condition.internalError,
  );
}

/**
 * A request whose `reply_to` names no attached receiving link of this connection. Its answer
 * could not reach the client, so it is not carried out: the delivery is rejected (AMQP 1.0
 * 3.4.3), the one answer that still can, and a put-token grants nothing, a settlement settles
 * nothing. The AMQP management draft has every request name its reply address.
 */
function refuseUnanswerable(
  delivery: Delivery,
  node: 'cbs' | 'management',
  state: ConnectionState,
) {
  state.logger.warn('request without a reply link refused', { node: `$${node}` });
  settleRejected(delivery, {
    condition: Condition.preconditionFailed,
    description:
      'The request was not carried out: its reply-to names no attached receiving link ' +
      'on this connection.',
  });
}

function rejectSend(
  delivery: Delivery,
  error: unknown,
  state: ConnectionState,
  address: string,
): void {
  if (error instanceof BrokerError) {
    state.logger.debug('send refused', { entity: address, condition: error.condition });
    settleRejected(delivery, { condition: error.condition, description: error.message });
    return;
  }
  state.logger.warn('send failed', { entity: address, error });
  settleRejected(delivery, {
    condition: Condition.internalError,
    description: 'The broker could not store the message.',
  });
}

function handleCbs(
  request: AmqpMessage,
  via: Receiver,
  state: ConnectionState,
  deps: LinkDeps,
): void {
  const properties = request.application_properties ?? {};
  const audience = String(properties.name ?? '');
  try {
    if (properties.operation !== 'put-token') {
      throw new BrokerError(Condition.notImplemented, `Unsupported CBS operation.`, 501);
    }
    const grant = verifySasToken(
      String(request.body ?? ''),
      audience,
      deps.namespace.policies,
      deps.broker.now(),
    );
    state.auth.add(grant);
    state.tokens.schedule();
    state.replies.reply(request, via, cbsResponse(202, 'Accepted'));
  } catch (error) {
    const brokerError =
      error instanceof BrokerError
        ? error
        : new BrokerError(Condition.unauthorized, 'The token is invalid.', 401);
    const operation = String(properties.operation ?? '');
    const what = operation === 'put-token' ? 'put-token refused' : 'CBS request refused';
    state.logger.warn(what, {
      operation,
      audience,
      reason: brokerError.message,
      code: brokerError.condition,
    });
    state.replies.reply(
      request,
      via,
      cbsResponse(brokerError.statusCode, brokerError.message, brokerError.condition),
    );
  }
}

function notFound(address: string): BrokerError {
  return new BrokerError(
    Condition.notFound,
    `The messaging entity '${address}' could not be found.`,
    404,
  );
}
