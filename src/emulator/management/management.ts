import type { Logger } from '../../shared/logger';
import type { ConnectionAuth } from '../auth/connectionAuth';
import type { Broker } from '../broker/broker';
import { forwardingRefusal } from '../broker/forwardingRefusal';
import { peekDisabledRefusal, receiveDisabledRefusal } from '../broker/entityStatus';
import { sessionMismatch } from '../broker/sessionMismatch';
import { encodeDelivery } from '../amqp/deliveryEncoding';
import { decodeMessage, parseMessage } from '../amqp/messageCodec';
import { checkMessageSize } from '../amqp/messageSize';
import { managementOk, managementResponse, type ResponseMessage } from '../amqp/responses';
import { types, type AmqpMessage } from '../amqp/rhea';
import { BrokerError, Condition, uuidToBytes } from '../amqp/wire';
import type { AccessRight } from '../config/types';
import type { ReceiveSource, SubscriptionEntity } from '../entities/registry';
import { fullStamp } from '../store/storedMessage';
import type { SessionHolder } from '../store/sessionTable';
import { MessageState } from '../store/types';
import {
  argumentError,
  integerField,
  longsField,
  optionalMap,
  optionalString,
  stringField,
  uuidsField,
  type Body,
} from './requestFields';
import { type RuleChanges, SubscriptionRules } from './subscriptionRules';
import { assertHoldsSettledSessions, requestHolder, type CallerReceiver } from './sessionHolder';

/** `holder` tells whether a session lock belongs to the receive link the request acts for. */
type Operation = (path: string, body: Body, holder: SessionHolder) => ResponseMessage;

/**
 * The `<entity>/$management` node: peek, locks, scheduling, deferral, session state and the
 * rules of a subscription.
 * Each request names its entity by the link's target address.
 */
export class ManagementNode {
  private readonly operations: Record<string, { right: AccessRight; run: Operation }>;
  private readonly rules: SubscriptionRules;

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
    ruleChanges: RuleChanges = broker.registry,
  ) {
    this.rules = new SubscriptionRules(ruleChanges, logger);
    this.operations = {
      'com.microsoft:peek-message': { right: 'Listen', run: (p, b) => this.peek(p, b) },
      'com.microsoft:renew-lock': { right: 'Listen', run: (p, b) => this.renewLock(p, b) },
      'com.microsoft:schedule-message': { right: 'Send', run: (p, b) => this.schedule(p, b) },
      'com.microsoft:cancel-scheduled-message': { right: 'Send', run: (p, b) => this.cancel(p, b) },
      'com.microsoft:receive-by-sequence-number': {
        right: 'Listen',
        run: (p, b, h) => this.receiveBySeq(p, b, h),
      },
      'com.microsoft:update-disposition': {
        right: 'Listen',
        run: (p, b, h) => this.updateDisposition(p, b, h),
      },
      'com.microsoft:renew-session-lock': {
        right: 'Listen',
        run: (p, b, h) => this.renewSessionLock(p, b, h),
      },
      'com.microsoft:set-session-state': {
        right: 'Listen',
        run: (p, b, h) => this.setSessionState(p, b, h),
      },
      'com.microsoft:get-session-state': {
        right: 'Listen',
        run: (p, b, h) => this.getSessionState(p, b, h),
      },
      // A subscription's own rules are its receiver's business: the SDKs document that
      // ServiceBusRuleManager needs only Listen claims (Manage, as always, covers it).
      'com.microsoft:add-rule': {
        right: 'Listen',
        run: (p, b) => this.rules.add(this.subscription(p), b),
      },
      'com.microsoft:remove-rule': {
        right: 'Listen',
        run: (p, b) => this.rules.remove(this.subscription(p), b),
      },
      'com.microsoft:enumerate-rules': {
        right: 'Listen',
        run: (p, b) => this.rules.enumerate(this.subscription(p), b),
      },
    };
  }

  /** `receivers` are the receive links of the connection the request came on. */
  handle(
    entityPath: string,
    request: AmqpMessage,
    auth: ConnectionAuth,
    receivers: Iterable<CallerReceiver>,
  ): ResponseMessage {
    const operation = String(request.application_properties?.operation ?? '');
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Body;
    try {
      const known = this.operations[operation];
      if (!known) {
        throw new BrokerError(
          Condition.notImplemented,
          `The operation '${operation}' is not supported.`,
          501,
        );
      }
      auth.require(`${entityPath}/$management`, known.right, this.broker.now());
      return known.run(entityPath, body, requestHolder(request, receivers));
    } catch (error) {
      if (!(error instanceof BrokerError)) throw error;
      this.logger.debug('management operation refused', {
        entity: entityPath,
        operation,
        condition: error.condition,
      });
      return managementResponse(error.statusCode, error.message, undefined, error.condition);
    }
  }

  private peek(path: string, body: Body): ResponseMessage {
    const source = this.source(path);
    const forwarding = forwardingRefusal(this.broker.registry, source, path, 'browser');
    if (forwarding) throw forwarding;
    const disabled = peekDisabledRefusal(source.owner);
    if (disabled) throw disabled;
    const from = integerField(body, 'from-sequence-number');
    const count = integerField(body, 'message-count');
    const sessionId = optionalString(body, 'session-id');
    const messages = source.store.peek(from, count, sessionId);
    if (messages.length === 0) return managementResponse(204, 'No Content');
    const items = messages.map((message) => ({
      message: encodeDelivery(message.bare, fullStamp(message)),
    }));
    return ok({ messages: items });
  }

  private renewLock(path: string, body: Body): ResponseMessage {
    const source = this.receivingSource(path);
    const nowMs = this.broker.now();
    const expirations = uuidsField(body, 'lock-tokens').map((token) =>
      source.store.renewLock(token, nowMs),
    );
    return ok({ expirations: types.wrap_array(expirations, 0x83) });
  }

  private schedule(path: string, body: Body): ResponseMessage {
    const target = this.broker.registry.sendTarget(path);
    if (!target) throw notFound(path);
    const entries = body.messages;
    if (!Array.isArray(entries))
      throw argumentError(`The field 'messages' must be a list of maps.`);
    // Every message is checked before any is scheduled: a refusal schedules none of them.
    const parsed = entries.map((entry: unknown) => {
      const raw = (entry as Body | null)?.message;
      if (!Buffer.isBuffer(raw)) {
        throw argumentError(`Each item of 'messages' needs a 'message' field of type binary.`);
      }
      checkMessageSize('The scheduled message', raw.length, this.broker.maxMessageSizeBytes);
      return parseMessage(decodeMessage(raw), raw);
    });
    const seqs = this.broker.send(target, parsed);
    return ok({ 'sequence-numbers': types.wrap_array(seqs, 0x81) });
  }

  private cancel(path: string, body: Body): ResponseMessage {
    const target = this.broker.registry.sendTarget(path);
    if (!target) throw notFound(path);
    const store = target.kind === 'queue' ? target.store : target.scheduled;
    const seqs = longsField(body, 'sequence-numbers');
    // Real namespaces answer an unknown (or already active) number with "Messages not found.
    // Missing sequence numbers: …" (Azure/azure-service-bus#239). Nothing is cancelled then,
    // so a mistyped number never takes a good one with it.
    const missing = seqs.filter((seq) => !store.isScheduled(seq));
    if (missing.length > 0) {
      throw new BrokerError(
        Condition.messageNotFound,
        `Messages not found. Missing sequence numbers: ${missing.join(', ')}`,
        404,
      );
    }
    for (const seq of seqs) store.cancelScheduled(seq);
    return ok();
  }

  private receiveBySeq(path: string, body: Body, holder: SessionHolder): ResponseMessage {
    const source = this.receivingSource(path);
    const nowMs = this.broker.now();
    const peekLock = integerField(body, 'receiver-settle-mode', 1) === 1;
    const sessionId = optionalString(body, 'session-id');
    // A number given twice names one message, which is delivered (and locked) once.
    const seqs = [...new Set(longsField(body, 'sequence-numbers'))];
    // A session's deferred messages are for the receiver that holds the session; a receiver
    // without one is refused as receiveMessages on it is, not told that a lock was lost.
    if (source.store.settings.requiresSession) {
      if (sessionId === null) throw sessionMismatch(path, true);
      source.store.sessions.assertHeldBy(sessionId, holder, nowMs);
    }

    // Asked for, an expired deferred message expires (dead-lettered or dropped) and is then
    // not found, as in Azure; the expiry stands although the request fails.
    const items = seqs.map((seq) => {
      const message = source.store.get(seq);
      if (
        !message ||
        source.store.expireDeferredIfDue(message, nowMs) ||
        message.state !== MessageState.deferred ||
        message.lockToken !== null ||
        (sessionId !== null && message.sessionId !== sessionId)
      ) {
        throw new BrokerError(
          Condition.messageNotFound,
          'Failed to lock one or more specified messages. ' +
            `The message with sequence number ${seq} was not found.`,
          404,
        );
      }
      return message;
    });

    const result = items.map((message) => {
      if (!peekLock) {
        const encoded = encodeDelivery(message.bare, fullStamp(message));
        source.store.remove(message);
        return { message: encoded };
      }
      const token = source.store.lock(message, nowMs);
      const encoded = encodeDelivery(message.bare, {
        ...fullStamp(message),
        lockToken: token,
        lockedUntilMs: message.lockedUntilMs,
      });
      return { message: encoded, 'lock-token': types.wrap_uuid(uuidToBytes(token)) };
    });
    return ok({ messages: result });
  }

  private updateDisposition(path: string, body: Body, holder: SessionHolder): ResponseMessage {
    const source = this.receivingSource(path);
    const nowMs = this.broker.now();
    const status = stringField(body, 'disposition-status');
    const properties = optionalMap(body, 'properties-to-modify');
    const tokens = uuidsField(body, 'lock-tokens');
    if (!DISPOSITION_STATUSES.has(status)) {
      throw argumentError(`Unknown disposition status '${status}'.`);
    }
    // A session's messages (deferred ones come back through here) are for its holder alone.
    if (source.store.settings.requiresSession) {
      assertHoldsSettledSessions(source.store, body['session-id'], tokens, holder, nowMs);
    }

    for (const token of tokens) {
      switch (status) {
        case 'completed':
          source.store.complete(token, nowMs);
          break;
        case 'abandoned':
          source.store.abandon(token, nowMs, properties);
          break;
        case 'defered':
        case 'deferred':
          source.store.defer(token, nowMs, properties);
          break;
        case 'suspended':
          source.store.deadLetter(token, nowMs, {
            reason: optionalString(body, 'deadletter-reason') ?? '',
            description: optionalString(body, 'deadletter-description') ?? '',
            properties,
          });
          break;
        default:
          throw argumentError(`Unknown disposition status '${status}'.`);
      }
    }
    return ok();
  }

  private renewSessionLock(path: string, body: Body, holder: SessionHolder): ResponseMessage {
    const source = this.receivingSource(path);
    const until = source.store.sessions.renewLock(
      stringField(body, 'session-id'),
      holder,
      this.broker.now(),
    );
    return ok({ expiration: types.wrap_timestamp(until) });
  }

  private setSessionState(path: string, body: Body, holder: SessionHolder): ResponseMessage {
    const source = this.receivingSource(path);
    const sessionId = stringField(body, 'session-id');
    source.store.sessions.assertHeldBy(sessionId, holder, this.broker.now());
    const state = body['session-state'] ?? null;
    if (state !== null && !Buffer.isBuffer(state)) {
      throw argumentError(`The field 'session-state' of the request must be binary or null.`);
    }
    // Session state holds what one message can (Azure's "Message sessions" page).
    const stateBytes = state?.length ?? 0;
    checkMessageSize('The session state', stateBytes, this.broker.maxMessageSizeBytes);
    source.store.setSessionState(sessionId, state);
    return ok();
  }

  private getSessionState(path: string, body: Body, holder: SessionHolder): ResponseMessage {
    const source = this.receivingSource(path);
    const sessionId = stringField(body, 'session-id');
    source.store.sessions.assertHeldBy(sessionId, holder, this.broker.now());
    const state = source.store.sessions.getState(sessionId);
    return ok({ 'session-state': state === null ? null : types.wrap_binary(state) });
  }

  private subscription(path: string): SubscriptionEntity {
    const source = this.source(path);
    if (source.owner.kind !== 'subscription' || source.isDeadLetter) {
      throw new BrokerError(
        Condition.notAllowed,
        `'${path}' is not a subscription: rules live on subscriptions.`,
        400,
      );
    }
    return source.owner;
  }

  /**
   * The source of an operation that takes, settles or holds messages (a lock, a session): on
   * a Disabled or ReceiveDisabled entity Azure answers a receive or a complete with
   * MessagingEntityDisabled (its EntityStatus reference), so these are refused as receivers are.
   */
  private receivingSource(path: string): ReceiveSource {
    const source = this.source(path);
    const disabled = receiveDisabledRefusal(source.owner);
    if (disabled) throw disabled;
    return source;
  }

  private source(path: string): ReceiveSource {
    const source = this.broker.registry.receiveSource(path);
    if (!source) throw notFound(path);
    return source;
  }
}

const ok = managementOk;

/** update-disposition's statuses; the SDKs spell deferral "defered". */
const DISPOSITION_STATUSES = new Set([
  'completed',
  'abandoned',
  'defered',
  'deferred',
  'suspended',
]);

function notFound(path: string): BrokerError {
  return new BrokerError(
    Condition.notFound,
    `The messaging entity '${path}' could not be found.`,
    404,
  );
}
