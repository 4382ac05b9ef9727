import type { MessageJson } from './messageJson';

export const TABLE_BODY_CHARS = 60;
export const DETAIL_BODY_CHARS = 4000;

/**
 * A body made safe for a terminal: JSON compact, text as is, binary as `base64:...`; control
 * characters (which could move the cursor or recolour the screen) escaped; cut at
 * `maxChars` with a note saying how much was left out.
 */
export function previewBody(json: MessageJson, maxChars: number): string {
  const full = bodyAsText(json);
  const safe = escapeControlCharacters(full);
  if (safe.length <= maxChars) return safe;

  const omitted = safe.length - maxChars;
  return `${safe.slice(0, maxChars)}… [${omitted} more chars cut; use --json for all]`;
}

function bodyAsText(json: MessageJson): string {
  switch (json.bodyEncoding ?? 'json') {
    case 'base64':
      return `base64:${String(json.body)}`;
    case 'text':
      return String(json.body);
    default:
      return JSON.stringify(json.body) ?? 'null';
  }
}

/**
 * Replaces C0/C1 controls and DEL with visible escapes (`\n`, `\x1b`, `\u009b`), and so the
 * bidirectional marks, embeddings, overrides and isolates, which reorder what follows them on
 * screen (a right-to-left override makes `exe.txt` read `txt.exe`).
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (char) => {
      if (char === '\n') return '\\n';
      if (char === '\r') return '\\r';
      if (char === '\t') return '\\t';
      const code = char.charCodeAt(0);
      return code < 0x80
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
}
