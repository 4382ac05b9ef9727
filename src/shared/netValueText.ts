// The Functions host holds its whole-number and on/off options in .NET `int`s and `bool`s and
// fills them from JSON that may write them as text: host.json through .NET configuration, which
// holds all values as text, and a trigger's options through Json.NET (`JToken.ToObject` in the
// WebJobs SDK's `AttributeCloner`), which parses a string with .NET's own int and bool parsing.
// So a trigger's "5" is 5 and " False " is false, while "five", "1.5", "yes" and "" stop the
// host. host.json values and trigger options are both read here, so the two agree.

/** The host reads its numeric settings into .NET `int`s. */
export const INT32_MAX = 2_147_483_647;

/**
 * .NET's int parsing (`NumberStyles.Integer`): white space around, a leading sign, ASCII digits;
 * nothing else. Its white space is U+0009 to U+000D and U+0020 only, where JS's `\s` would also
 * take a no-break space, the other Unicode spaces and U+FEFF.
 */
const INTEGER_TEXT = /^[\t\n\v\f\r ]*[+-]?[0-9]+[\t\n\v\f\r ]*$/;

/**
 * The whole number a JSON value stands for in .NET: a JSON integer, or text in .NET's integer
 * form. Undefined for anything else (a fraction, other text, a boolean). The range is the
 * caller's to check.
 */
export function netInteger(raw: unknown): number | undefined {
  const value = typeof raw === 'string' && INTEGER_TEXT.test(raw) ? Number(raw) : raw;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/**
 * The boolean a JSON value stands for in .NET: a JSON boolean, or `true` / `false` as text in
 * any case with spaces around (`bool.Parse`). Undefined for anything else.
 */
export function netBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw !== 'string') return undefined;

  const text = raw.trim().toLowerCase();
  return text === 'true' || text === 'false' ? text === 'true' : undefined;
}
