// The action input: one JSON object on stdin, or in the file named by --input (CONTRACT.md section 1).

import * as fs from 'node:fs';
import { invalidInput } from './errors';

/** An input larger than this is refused rather than read into memory. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

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

/** Parses the input text: empty is {}; anything but a JSON object is refused. */
export function parseInputText(text: string, where: string): Record<string, unknown> {
  if (text.trim() === '') return {};
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
  return Buffer.concat(chunks).toString('utf8');
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
    return parseInputText(fs.readFileSync(source.path, 'utf8'), `--input file ${JSON.stringify(source.path)}`);
  }
  if (stdin.isTTY) return {};
  return parseInputText(await readAll(stdin), 'stdin');
}
