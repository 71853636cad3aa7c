// The one rule for text taken from the input: which characters no text may hold, and how a list parameter is split.
// Every text parameter of every action goes through it when the input is validated (validate.ts), and so does every
// value put into a KQL literal (lib/kql/literal.ts), so a character refused in one place is refused in all.

/** Characters refused in any text: C0 controls but tab, line feed and carriage return; DEL; C1 (U+0080-U+009F, with
 *  NEL, which some readers take as a line break); the Unicode line and paragraph separators. */
export const REFUSED_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/;
/** Half of a UTF-16 surrogate pair standing alone: it has no UTF-8 form, so it cannot be sent. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const codePoint = (ch: string): string => `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * What is wrong with a text, as the end of a sentence that starts with its name ("contains the control character
 * U+0000 at position 3; remove it (tabs and line breaks are allowed)"), or undefined when nothing is.
 */
export function textProblem(value: string): string | undefined {
  const bad = REFUSED_CHARACTER.exec(value);
  if (bad) return `contains the control character ${codePoint(bad[0])} at position ${bad.index + 1}; remove it (tabs and line breaks are allowed)`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone) return `contains an unpaired UTF-16 surrogate (${codePoint(lone[0])}) at position ${lone.index + 1}; give valid Unicode text`;
  return undefined;
}

/** Splits a comma- or newline-separated list parameter (engines send a multi-value parameter as one string); blanks
 *  are dropped. */
export const splitList = (value: string | undefined): string[] => (value ?? '').split(/[,\n]/).map((s) => s.trim()).filter(Boolean);

/** A text parameter as given: trimmed, or undefined when it is absent or blank (engines send unfilled fields as ""). */
export const givenText = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
