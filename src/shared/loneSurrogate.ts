/**
 * A UTF-16 surrogate without its pair, as a JSON escape such as `"\ud800"` can make: it has no
 * UTF-8 form, so any UTF-8 encoder (Buffer, rhea, PostgreSQL's client) writes U+FFFD instead.
 */
export const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first lone surrogate in the text as its JSON escape (`\ud800`), if there is one. */
export function loneSurrogateIn(text: string): string | undefined {
  const found = LONE_SURROGATE.exec(text)?.[0];
  return found === undefined ? undefined : `\\u${found.charCodeAt(0).toString(16)}`;
}
