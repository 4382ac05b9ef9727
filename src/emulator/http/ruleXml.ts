import type { CorrelationFilter, RuleConfig, RuleFilter, SqlRuleAction } from '../config/types';
import { asObject, isoTime, XSD_NS, type XmlObject } from './atom';
import { setOwnProperty } from '../rules';
import { AdminError, type RuleView } from './backend';

/** The element that holds one application property or SQL parameter. */
const KEY_VALUE = 'KeyValueOfstringanyType';

// Correlation fields in the order the service writes them, with their config names.
const CORRELATION_FIELDS: [string, keyof Omit<CorrelationFilter, 'properties'>][] = [
  ['CorrelationId', 'correlationId'],
  ['MessageId', 'messageId'],
  ['To', 'to'],
  ['ReplyTo', 'replyTo'],
  ['Label', 'subject'],
  ['SessionId', 'sessionId'],
  ['ReplyToSessionId', 'replyToSessionId'],
  ['ContentType', 'contentType'],
];

/** A rule → `RuleDescription` content, as Service Bus returns it. */
export function ruleDescription(view: RuleView): XmlObject {
  return {
    Filter: filterElement(view.rule.filter),
    Action: actionElement(view.rule.action),
    CreatedAt: isoTime(view.createdAtMs),
    Name: view.rule.name,
  };
}

/**
 * A `RuleDescription` (or a subscription's `DefaultRuleDescription`) sent by the client →
 * a rule. `1=1` and `1=0` become the true and false filters, as the service stores them.
 * @throws AdminError (`BadRequest`) for SQL parameters or property values of other types.
 */
export function readRule(description: XmlObject, name: string): RuleConfig {
  const filter = asObject(description.Filter);
  const action = asObject(description.Action);
  return {
    name,
    filter: filter ? readFilter(filter) : { kind: 'true' },
    action: action ? readAction(action) : null,
  };
}

/** The filter types Service Bus describes rules with; a missing type is read by content. */
const FILTER_TYPES = ['TrueFilter', 'FalseFilter', 'SqlFilter', 'CorrelationFilter'];

function readFilter(element: XmlObject): RuleFilter {
  const type = typeName(element);
  if (type === 'TrueFilter') return { kind: 'true' };
  if (type === 'FalseFilter') return { kind: 'false' };
  // Read as a correlation filter, an unknown type would match whatever its fields allow.
  if (type !== undefined && !FILTER_TYPES.includes(type)) {
    throw new AdminError(
      'BadRequest',
      `The filter type '${type}' is not one of ${FILTER_TYPES.join(', ')}.`,
    );
  }
  if (type === 'SqlFilter' && typeof element.SqlExpression !== 'string') {
    throw new AdminError('BadRequest', 'A SqlFilter needs a SqlExpression.');
  }

  if (typeof element.SqlExpression === 'string') {
    refuseParameters(element);
    const expression = element.SqlExpression.trim();
    if (expression === '1=1') return { kind: 'true' };
    if (expression === '1=0') return { kind: 'false' };
    return { kind: 'sql', expression };
  }

  const properties = readProperties(element.Properties);
  const filter: RuleFilter = { kind: 'correlation', properties };
  for (const [xmlName, field] of CORRELATION_FIELDS) {
    const value = element[xmlName];
    if (typeof value === 'string') filter[field] = value;
  }
  return filter;
}

function readAction(element: XmlObject): SqlRuleAction | null {
  if (typeof element.SqlExpression !== 'string' || element.SqlExpression.trim() === '') return null;
  refuseParameters(element);
  return { kind: 'sql', expression: element.SqlExpression };
}

function readProperties(value: unknown): Record<string, string | number | boolean> {
  const container = asObject(value);
  const raw = container?.[KEY_VALUE];
  const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const properties: Record<string, string | number | boolean> = {};
  for (const item of items) {
    const pair = asObject(item);
    const valueElement = asObject(pair?.Value);
    if (!pair || typeof pair.Key !== 'string' || !valueElement) {
      throw new AdminError('BadRequest', 'A correlation filter property has no Key or Value.');
    }
    setOwnProperty(properties, pair.Key, readTypedValue(pair.Key, valueElement));
  }
  return properties;
}

function readTypedValue(key: string, element: XmlObject): string | number | boolean {
  const text = typeof element._ === 'string' ? element._ : '';
  switch (typeName(element)) {
    case 'string':
      return text;
    case 'boolean':
      return text.trim() === 'true';
    case 'int':
    case 'long':
    case 'double':
    case 'float':
      return Number(text);
    default:
      throw new AdminError(
        'BadRequest',
        `The correlation filter property '${key}' has a type the emulator does not support ` +
          '(use a string, number or boolean).',
      );
  }
}

function refuseParameters(element: XmlObject): void {
  if (element.Parameters !== undefined && element.Parameters !== '') {
    throw new AdminError('BadRequest', 'SQL parameters (sqlParameters) are not supported.');
  }
}

/** The local name of an `xsi:type` attribute value, whatever prefixes the sender used. */
function typeName(element: XmlObject): string | undefined {
  const attributes = asObject(element.$) ?? {};
  const isType = ([name]: [string, unknown]): boolean => name === 'type' || name.endsWith(':type');
  const entry = Object.entries(attributes).find(isType);
  if (!entry) return undefined;
  const value = String(entry[1]);
  return value.slice(value.indexOf(':') + 1);
}

function filterElement(filter: RuleFilter): XmlObject {
  switch (filter.kind) {
    case 'true':
      return sqlElement('TrueFilter', '1=1');
    case 'false':
      return sqlElement('FalseFilter', '1=0');
    case 'sql':
      return sqlElement('SqlFilter', filter.expression);
    case 'correlation':
      return correlationElement(filter);
  }
}

function sqlElement(type: string, expression: string): XmlObject {
  return { $: { 'i:type': type }, SqlExpression: expression, CompatibilityLevel: 20 };
}

function correlationElement(filter: CorrelationFilter): XmlObject {
  const element: XmlObject = { $: { 'i:type': 'CorrelationFilter' } };
  for (const [xmlName, field] of CORRELATION_FIELDS) {
    if (filter[field] !== undefined) element[xmlName] = filter[field];
  }
  const pairs = Object.entries(filter.properties).map(([key, value]) => ({
    Key: key,
    Value: { $: { 'i:type': `d6p1:${xsdType(value)}`, 'xmlns:d6p1': XSD_NS }, _: String(value) },
  }));
  if (pairs.length > 0) element.Properties = { [KEY_VALUE]: pairs };
  return element;
}

// The client strips a five-character prefix (`d6p1:`) and knows int, double, string, boolean.
function xsdType(value: string | number | boolean): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  return Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? 'int' : 'double';
}

function actionElement(action: SqlRuleAction | null): XmlObject {
  if (action === null) return { $: { 'i:type': 'EmptyRuleAction' } };
  const expression = action.expression;
  return { $: { 'i:type': 'SqlRuleAction' }, SqlExpression: expression, CompatibilityLevel: 20 };
}
