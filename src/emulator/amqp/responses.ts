import { types } from './rhea';

/** A reply of a request/response node ($cbs, $management): status properties and a body. */
export interface ResponseMessage {
  properties: Record<string, unknown>;
  body?: unknown;
}

/** $management's camelCase status keys. */
export function managementResponse(
  statusCode: number,
  description: string,
  body?: unknown,
  errorCondition?: string,
): ResponseMessage {
  const properties: Record<string, unknown> = {
    statusCode: types.wrap_int(statusCode),
    statusDescription: description,
  };
  if (errorCondition) properties.errorCondition = types.wrap_symbol(errorCondition);
  return { properties, body };
}

/** $cbs's dashed status keys. */
export function cbsResponse(
  statusCode: number,
  description: string,
  errorCondition?: string,
): ResponseMessage {
  const properties: Record<string, unknown> = {
    'status-code': types.wrap_int(statusCode),
    'status-description': description,
  };
  if (errorCondition) properties['error-condition'] = types.wrap_symbol(errorCondition);
  return { properties };
}

/** A `$management` success (200), with a map body when there is one. */
export function managementOk(body?: Record<string, unknown>): ResponseMessage {
  return managementResponse(200, 'OK', body === undefined ? undefined : types.wrap_map(body));
}
