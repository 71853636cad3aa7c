// JSON serialisation for everything the runtime writes: one string for a log line (safeStringify), or the same text in
// pieces for a result that may be large (jsonPieces), so that a 100,000-row hunting result is never one giant string.
// Redaction happens here, on values: every string and every member name passes through `text` (redact.ts) before it
// is encoded, so that nothing it does can change the structure of what is written.

export type Replacer = (this: unknown, key: string, value: unknown) => unknown;

/** What is done to each string and member name before it is encoded (redaction); the identity by default. */
export type TextMap = (text: string) => string;

const same: TextMap = (t) => t;

/**
 * An object with the same members, its member names passed through `text`; the object itself when none changes. (Two
 * names that `text` makes equal become one member, the later one's value, as in any object.)
 */
function mapKeys(v: object, text: TextMap): object {
  const keys = Object.keys(v);
  let i = 0;
  while (i < keys.length && text(keys[i]!) === keys[i]) i++;
  if (i === keys.length) return v;
  const out: Record<string, unknown> = {};
  for (const key of keys) out[text(key)] = (v as Record<string, unknown>)[key];
  return out;
}

/**
 * The replacer behind safeStringify: bigints become strings, errors {name, message, code}, and an object met a second
 * time becomes "[Circular]" (a cycle, or the same object twice); every string and member name passes through `text`.
 * `seen` is shared with jsonPieces, which walks the top of a value itself and hands the rest to JSON.stringify with
 * this replacer.
 */
export function safeReplacer(seen: WeakSet<object> = new WeakSet(), text: TextMap = same): Replacer {
  return (_key, v) => {
    if (typeof v === 'string') return text(v);
    if (typeof v === 'bigint') return text(v.toString());
    if (v instanceof Error) {
      const code = (v as { code?: unknown }).code;
      return { name: v.name, message: v.message, ...(code !== undefined ? { code } : {}) };
    }
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
      if (!Array.isArray(v) && text !== same) return mapKeys(v, text);
    }
    return v;
  };
}

/**
 * JSON.stringify that never throws: errors become {name, message, code}, cycles and bigints are spelled out; every
 * string and member name passes through `text`.
 */
export function safeStringify(value: unknown, text: TextMap = same): string {
  return JSON.stringify(value, safeReplacer(new WeakSet(), text));
}

/** How deep jsonPieces walks: the envelope (0), json_result (1), its rows array (2); each row (3) is one piece. */
export const PIECE_DEPTH = 3;

/**
 * The text of safeStringify(value, text), in order, as pieces whose concatenation is exactly that text. Plain objects and
 * arrays less than `depth` deep are walked here (their punctuation and member names are pieces of their own); every
 * other value is one piece made by JSON.stringify with the same replacer and the same `seen` set, visited in the same
 * order as JSON.stringify would. A value walked here is one the replacer would return unchanged but for its member
 * names (a plain object or an array, with no toJSON, met for the first time), whose names are mapped here as the
 * replacer maps them, so walking it instead of stringifying it changes nothing.
 * One difference no value of this package can show: a toJSON method below the walked levels is called with the key ''
 * rather than its member name or index.
 */
export function* jsonPieces(value: unknown, depth = PIECE_DEPTH, text: TextMap = same): Generator<string, void, undefined> {
  const seen = new WeakSet<object>();
  const replacer = safeReplacer(seen, text);
  const walkable = (v: unknown, level: number): v is object => {
    if (level >= depth || v === null || typeof v !== 'object' || seen.has(v)) return false;
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
    if (Array.isArray(v)) return true;
    const proto = Object.getPrototypeOf(v) as unknown;
    return proto === Object.prototype || proto === null;
  };
  function* walk(v: object, level: number): Generator<string, void, undefined> {
    seen.add(v);
    if (Array.isArray(v)) {
      yield '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) yield ',';
        const item: unknown = v[i];
        if (walkable(item, level + 1)) yield* walk(item, level + 1);
        else yield JSON.stringify(item, replacer) ?? 'null';
      }
      yield ']';
      return;
    }
    yield '{';
    let first = true;
    // member names as mapKeys makes them: two that `text` makes equal are one member, in the first one's place, with
    // the later one's value
    const names = new Map<string, string>();
    for (const key of Object.keys(v)) names.set(text(key), key);
    for (const [name, key] of names) {
      const item: unknown = (v as Record<string, unknown>)[key];
      if (walkable(item, level + 1)) {
        if (!first) yield ',';
        first = false;
        yield `${JSON.stringify(name)}:`;
        yield* walk(item, level + 1);
        continue;
      }
      const json = JSON.stringify(item, replacer) as string | undefined;
      if (json === undefined) continue; // undefined, a function or a symbol: JSON.stringify leaves the member out
      if (!first) yield ',';
      first = false;
      yield `${JSON.stringify(name)}:${json}`;
    }
    yield '}';
  }
  if (walkable(value, 0)) yield* walk(value, 0);
  else {
    const json = JSON.stringify(value, replacer) as string | undefined;
    if (json !== undefined) yield json;
  }
}
