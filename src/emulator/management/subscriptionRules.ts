import type { Logger } from '../../shared/logger';
import { managementOk, managementResponse, type ResponseMessage } from '../amqp/responses';
import { types } from '../amqp/rhea';
import { BrokerError, Condition } from '../amqp/wire';
import { MAX_RULES_PER_SUBSCRIPTION } from '../config/defaults';
import type { RuleConfig } from '../config/types';
import type { SubscriptionEntity } from '../entities/registry';
import { integerField, stringField, type Body } from './requestFields';
import { describeRules, ruleFromRequest } from './ruleOperations';

/** Rule changes that are recorded in the data folder (the broker's run-time entity changes). */
export interface RuleChanges {
  addRule(topic: string, subscription: string, rule: RuleConfig): void;
  removeRule(topic: string, subscription: string, name: string): void;
}

/**
 * The rule manager's `$management` operations on one subscription: add, remove and list its
 * rules. Changes go through `RuleChanges`, which records them in the data folder.
 */
export class SubscriptionRules {
  constructor(
    private readonly ruleChanges: RuleChanges,
    private readonly logger: Logger,
  ) {}

  add(sub: SubscriptionEntity, body: Body): ResponseMessage {
    const rule = ruleFromRequest(body);
    if (findRule(sub, rule.name)) {
      throw new BrokerError(
        Condition.entityAlreadyExists,
        `The rule '${rule.name}' already exists on '${sub.store.settings.path}'.`,
        409,
      );
    }
    const count = sub.config.rules.length;
    if (count >= MAX_RULES_PER_SUBSCRIPTION) {
      throw new BrokerError(
        Condition.quotaExceeded,
        `Quota exceeded: subscription '${sub.store.settings.path}' already has ${count} rules.`,
        403,
      );
    }
    this.ruleChanges.addRule(sub.topic.name, sub.name, rule);
    this.logger.info('rule added', { entity: sub.store.settings.path, rule: rule.name });
    return managementOk();
  }

  remove(sub: SubscriptionEntity, body: Body): ResponseMessage {
    const name = stringField(body, 'rule-name');
    const rule = findRule(sub, name);
    if (!rule) {
      throw new BrokerError(
        Condition.notFound,
        `The messaging entity '${sub.store.settings.path}/Rules/${name}' could not be found.`,
        404,
      );
    }
    this.ruleChanges.removeRule(sub.topic.name, sub.name, rule.name);
    this.logger.info('rule removed', { entity: sub.store.settings.path, rule: rule.name });
    return managementOk();
  }

  enumerate(sub: SubscriptionEntity, body: Body): ResponseMessage {
    const skip = Math.max(0, integerField(body, 'skip', 0));
    const top = Math.max(0, integerField(body, 'top', Number.MAX_SAFE_INTEGER));
    const rules = sub.config.rules.slice(skip, skip + top);
    if (rules.length === 0) return managementResponse(204, 'No Content');
    return managementResponse(200, 'OK', types.wrap_map({ rules: describeRules(rules) }));
  }
}

function findRule(sub: SubscriptionEntity, name: string): RuleConfig | undefined {
  const lower = name.toLowerCase();
  return sub.config.rules.find((rule) => rule.name.toLowerCase() === lower);
}
