import { SUB_QUEUE_SUFFIX } from '../shared/serviceBusNames';
import type { FunctionPlan, ServiceBusFunction } from './functionPlan';

/** One start-up warning about the plan: a sentence and its fields, for the logger. */
export interface PlanWarning {
  message: string;
  fields: Record<string, unknown>;
}

/**
 * The start-up warnings for a plan: functions not hosted, functions competing for one entity,
 * output bindings not sent, and retry policies not run. Each names the function; none holds a
 * setting's value.
 */
export function planWarnings(plan: FunctionPlan): PlanWarning[] {
  const warnings: PlanWarning[] = plan.skipped.map((skipped) => ({
    message: `Function '${skipped.name}' is not hosted`,
    fields: { reason: skipped.reason },
  }));
  if (plan.unknownDisabled.length > 0) {
    warnings.push({
      message:
        'Settings that disable a function name none of the app: they disable nothing (check' +
        ' the function name in AzureWebJobs.<name>.Disabled)',
      fields: { settings: plan.unknownDisabled },
    });
  }
  if (plan.functions.length === 0) {
    warnings.push({
      message:
        'No Service Bus function runs: each one is left out (see above). The worker stays' +
        ' idle until it is restarted with one enabled',
      fields: {},
    });
  }
  for (const functionNames of namesDifferingInCase(plan)) {
    warnings.push({
      message:
        `Functions ${functionNames.map((name) => `'${name}'`).join(', ')} have names that ` +
        'differ only in case: the Functions host looks function names up in any case (host.json' +
        ' "functions", AzureWebJobs.<name>.Disabled, log levels), so what names one names' +
        ' them all; give each a name of its own',
      fields: { functions: functionNames },
    });
  }
  for (const { entity, functionNames } of sharedTriggerEntities(plan.functions)) {
    warnings.push({
      message:
        `Functions ${functionNames.map((name) => `'${name}'`).join(', ')} are triggered by ` +
        `the same ${entity}: each message goes to one of them, not to each (for every ` +
        'function to get every message, give each its own topic subscription)',
      fields: { functions: functionNames },
    });
  }
  for (const fn of plan.functions) {
    if (fn.unsupportedOutputs.length > 0) {
      warnings.push({
        message: `Function '${fn.name}' has output bindings this worker does not send`,
        fields: { outputs: fn.unsupportedOutputs },
      });
    }
    if (!fn.autoCompleteMessages) {
      warnings.push({
        message:
          `Function '${fn.name}' has autoCompleteMessages false: nothing settles its messages` +
          ' (the Functions host supports settling in the function for C# only), so each one' +
          " returns when its lock expires and is dead-lettered after the queue's" +
          ' maxDeliveryCount',
        fields: { autoCompleteMessages: false },
      });
    }
    if (fn.ignoredRetry !== undefined) {
      warnings.push({
        message:
          `Function '${fn.name}' has a retry policy, which is ignored: the Functions host runs ` +
          'no retry policy for Service Bus triggers either. A failed message is abandoned and ' +
          "redelivered until the queue's maxDeliveryCount, then dead-lettered; that is the retry",
        fields: { retry: fn.ignoredRetry },
      });
    }
  }
  return warnings;
}

/**
 * Registered names (hosted or not) that are one name to the host, which compares function
 * names ignoring case (azure-functions-host `Utility.FunctionNamesMatch`, and the
 * case-insensitive map of `FunctionMetadataManager`). The host starts both, as this worker does.
 */
function namesDifferingInCase(plan: FunctionPlan): string[][] {
  const byName = new Map<string, string[]>();
  for (const { name } of [...plan.functions, ...plan.skipped]) {
    const group = byName.get(name.toLowerCase()) ?? [];
    group.push(name);
    byName.set(name.toLowerCase(), group);
  }
  return [...byName.values()].filter((group) => group.length > 1);
}

/**
 * Functions whose triggers name one entity through one connection compete for its messages, as
 * in the host: rarely what was meant. Entity names are matched in any case, as Service Bus does.
 */
function sharedTriggerEntities(
  functions: readonly ServiceBusFunction[],
): Array<{ entity: string; functionNames: string[] }> {
  const byEntity = new Map<string, { entity: string; functionNames: string[] }>();
  for (const fn of functions) {
    const subQueue = fn.entity.subQueue === undefined ? '' : SUB_QUEUE_SUFFIX[fn.entity.subQueue];
    const entity =
      fn.entity.kind === 'queue'
        ? `queue '${fn.entity.queueName}${subQueue}'`
        : `subscription '${fn.entity.topicName}/${fn.entity.subscriptionName}${subQueue}'`;
    const key = `${fn.connectionName.toLowerCase()}|${entity.toLowerCase()}`;
    const group = byEntity.get(key) ?? { entity, functionNames: [] };
    group.functionNames.push(fn.name);
    byEntity.set(key, group);
  }
  return [...byEntity.values()].filter((group) => group.functionNames.length > 1);
}
