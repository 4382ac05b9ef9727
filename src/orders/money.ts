/**
 * Exact money: decimal strings in the messages, integer minor units (pence, cents) inside.
 * Two decimals are all the contract allows, so minor units are always whole.
 */
export function toMinorUnits(decimal: string): number {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(decimal);
  if (match === null) throw new RangeError(`not a decimal amount: ${JSON.stringify(decimal)}`);

  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + fraction;
}
