/** Parsed SQL filter and action trees. Every node keeps its position for error messages. */

export type SqlValue = string | bigint | number | boolean | Date | null;

export type PropertyRef =
  { scope: 'user'; name: string } | { scope: 'sys'; name: string; key: SystemPropertyKey };

export type SystemPropertyKey =
  | 'messageId'
  | 'correlationId'
  | 'to'
  | 'replyTo'
  | 'subject'
  | 'sessionId'
  | 'replyToSessionId'
  | 'contentType'
  | 'partitionKey'
  | 'sequenceNumber'
  | 'enqueuedSequenceNumber'
  | 'enqueuedTimeUtc'
  | 'deliveryCount'
  | 'size'
  | 'expiresAtUtc'
  | 'scheduledEnqueueTimeUtc'
  | 'timeToLiveMs'
  | 'lockedUntilUtc'
  | 'deadLetterSource';

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';

export type Expr = { position: number } & (
  | { type: 'literal'; value: SqlValue }
  | { type: 'property'; ref: PropertyRef }
  | { type: 'propertyByName'; name: Expr }
  | { type: 'newId' }
  | { type: 'negate'; operand: Expr }
  | { type: 'arithmetic'; operator: ArithmeticOperator; left: Expr; right: Expr }
  | { type: 'comparison'; operator: ComparisonOperator; left: Expr; right: Expr }
  | { type: 'in'; negated: boolean; operand: Expr; list: Expr[] }
  | { type: 'like'; negated: boolean; operand: Expr; pattern: Expr; escape: Expr | null }
  | { type: 'isNull'; negated: boolean; operand: Expr }
  | { type: 'exists'; ref: PropertyRef }
  | { type: 'not'; operand: Expr }
  | { type: 'and' | 'or'; left: Expr; right: Expr }
);

export type ActionStatement =
  | { type: 'set'; ref: PropertyRef; value: Expr; position: number }
  | { type: 'remove'; ref: PropertyRef; position: number };
