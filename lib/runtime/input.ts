// The action input: one JSON object on stdin, or in the file named by --input (CONTRACT.md section 1).

import * as fs from 'node:fs';
import { invalidInput } from './errors';

/** An input larger than this is refused rather than read into memory. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;
/** How deep arrays and objects may nest in the input: far past anything an engine sends (an entity's
 *  AdditionalProperties, a daemon's state), and far from where the recursion of a parser or a check runs out of stack. */
export const MAX_INPUT_DEPTH = 64;

export type InputSource = { kind: 'stdin' } | { kind: 'file'; path: string };

/** Parses the command line: nothing, or --input FILE. Nothing secret is ever taken from it. */
export function parseArgs(argv: readonly string[]): InputSource {
  let source: InputSource = { kind: 'stdin' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--input' || arg.startsWith('--input=')) {
      const file = arg === '--input' ? argv[++i] : arg.slice('--input='.length);
      if (!file) throw invalidInput('--input needs a file name: --input FILE.');
      if (source.kind === 'file') throw invalidInput('--input is given twice; give one input file.');
      source = { kind: 'file', path: file };
    } else {
      throw invalidInput(`Unknown command-line argument ${JSON.stringify(arg)}; the only option is --input FILE (otherwise the input is read from stdin, and configuration from the M365D_* environment variables).`);
    }
  }
  return source;
}

/** How deep the JSON text nests (brackets and braces outside strings), counted without parsing: one pass, no recursion. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** The input's bytes as text: UTF-8, and nothing else (a byte that is not UTF-8 is refused, never replaced). */
export function decodeInput(bytes: Uint8Array, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw invalidInput(`The input on ${where} is not valid UTF-8${at === undefined ? '' : ` (byte ${at + 1} of ${bytes.length})`}; send the JSON encoded as UTF-8.`);
  }
}

/** Where decoding first fails: the shortest prefix that does not decode (an unfinished sequence at its end is not
 *  yet a failure) ends at that byte. Failing is monotone in the prefix length, so a binary search finds it. */
function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  const decodes = (length: number): boolean => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, length), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  if (decodes(bytes.length)) return undefined; // only the end is unfinished
  let lo = 1;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (decodes(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Parses the input text: empty is {}; anything but a JSON object is refused, and so is one nested too deep. */
export function parseInputText(text: string, where: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  const depth = nestingDepth(text);
  if (depth > MAX_INPUT_DEPTH) {
    throw invalidInput(`The input on ${where} nests arrays and objects ${depth} levels deep; at most ${MAX_INPUT_DEPTH} are taken. Give one JSON object keyed by parameter names.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw invalidInput(`The input on ${where} is not valid JSON (${(err as Error).message}); give one JSON object such as {"case_id": "1", "alert_group_identifiers": []}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidInput(`The input on ${where} must be a JSON object keyed by parameter names; got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.`);
  }
  return value as Record<string, unknown>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw invalidInput(`The input on stdin is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MB.`);
    chunks.push(buf);
  }
  return decodeInput(Buffer.concat(chunks), 'stdin');
}

/** Reads the raw input object: from the --input file, else stdin; a terminal or an empty stdin is {}. */
export async function readRawInput(source: InputSource, stdin: NodeJS.ReadStream): Promise<Record<string, unknown>> {
  if (source.kind === 'file') {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(source.path);
    } catch (err) {
      throw invalidInput(`--input file ${JSON.stringify(source.path)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    if (!stat.isFile()) throw invalidInput(`--input ${JSON.stringify(source.path)} is not a file.`);
    if (stat.size > MAX_INPUT_BYTES) throw invalidInput(`--input file ${JSON.stringify(source.path)} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MB.`);
    const where = `--input file ${JSON.stringify(source.path)}`;
    return parseInputText(decodeInput(fs.readFileSync(source.path), where), where);
  }
  if (stdin.isTTY) return {};
  return parseInputText(await readAll(stdin), 'stdin');
}
