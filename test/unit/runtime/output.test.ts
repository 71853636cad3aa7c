import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { ActionError, ERROR_CODES, exitCodeFor } from '../../../lib/runtime/errors';
import { JsonLogger, safeStringify } from '../../../lib/runtime/log';
import { Redactor, REDACTED } from '../../../lib/runtime/redact';
import { parseArgs, parseInputText, readRawInput } from '../../../lib/runtime/input';
import { completion, failure } from '../../../lib/runtime/result';
import { TransportError } from '../../../lib/http/transport';
import { repoRoot } from '../../support/paths';
import { actionErrorOf } from '../../support/errors';
import { envelopeValidator } from '../../support/schemas';

const envelopeSchema = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas/common/result.schema.json'), 'utf8'));
const validateEnvelope = envelopeValidator();

describe('redaction', () => {
  it('replaces a secret in its raw, JSON-escaped and URL-encoded forms', () => {
    const r = new Redactor();
    const secret = 'ab"c\\d/e&f~g';
    r.add(secret);
    const text = `raw ${secret} json ${JSON.stringify(secret)} url ${encodeURIComponent(secret)}`;
    const out = r.redact(text);
    expect(out).not.to.include('ab"c');
    expect(out).not.to.include('ab\\"c');
    expect(out).not.to.include(encodeURIComponent(secret));
    expect(out.split(REDACTED).length - 1).to.equal(3);
  });

  it('replaces each line of a registered PEM, and (in messages) private key blocks even when unknown', () => {
    const r = new Redactor();
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';
    const pem = `-----BEGIN PRIVATE KEY-----\n${body}\nMORELINESOFBASE64DATA0123456789\n-----END PRIVATE KEY-----`;
    r.add(pem);
    expect(r.redact(`line: ${body}`)).to.equal(`line: ${REDACTED}`);
    const unknown = new Redactor().redact('x -----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfVLPHC\\nAAAA\\n-----END RSA PRIVATE KEY----- y');
    expect(unknown).to.equal(`x -----BEGIN RSA PRIVATE KEY-----${REDACTED}-----END RSA PRIVATE KEY----- y`);
  });

  it('replaces token-shaped strings in messages whether known or not', () => {
    const r = new Redactor();
    const jwt = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJl';
    expect(r.redact(`token ${jwt} end`)).to.equal(`token ${REDACTED} end`);
    expect(r.redact('Authorization: Bearer abcdefghijklmnop')).to.equal(`Authorization: Bearer ${REDACTED}`);
    expect(r.redact('client_secret=s3cr3tvalue&scope=x')).to.equal(`client_secret=${REDACTED}&scope=x`);
    expect(r.redact('{"access_token":"opaque-token-123"}')).to.equal(`{"access_token":"${REDACTED}"}`);
    expect(r.redact('proxy http://bob:hunter2@proxy:3128')).to.equal(`proxy http://bob:${REDACTED}@proxy:3128`);
  });

  it('leaves ordinary text alone and ignores secrets too short to protect', () => {
    const r = new Redactor();
    r.add('abc');
    r.add('');
    r.add(undefined);
    expect(r.redact('abc def: Incident 42 updated, status Resolved')).to.equal('abc def: Incident 42 updated, status Resolved');
  });
});

describe('logging', () => {
  it('writes one JSON line per entry with the contract keys first, filtered by level, redacted', () => {
    const lines: string[] = [];
    const r = new Redactor();
    r.add('topsecretvalue');
    const log = new JsonLogger((l) => lines.push(l), r, 'ping');
    log.caseId = 'C-1';
    log.debug('hidden at info');
    log.info('hello topsecretvalue', { level: 'forged', msg: 'forged', extra: 1, err: new ActionError('NETWORK', 'reset') });
    log.level = 'error';
    log.warn('hidden at error');
    log.error('bad');
    expect(lines).to.have.length(2);
    for (const l of lines) expect(l.endsWith('\n') && !l.slice(0, -1).includes('\n')).to.equal(true);
    const first = JSON.parse(lines[0]!);
    expect(Object.keys(first).slice(0, 5)).to.deep.equal(['time', 'level', 'action', 'case_id', 'msg']);
    expect(first).to.deep.include({ level: 'info', action: 'ping', case_id: 'C-1', msg: `hello ${REDACTED}`, extra: 1 });
    expect(first.err).to.deep.equal({ name: 'ActionError', message: 'reset', code: 'NETWORK' });
    expect(JSON.parse(lines[1]!).level).to.equal('error');
  });

  it('serialises what JSON.stringify cannot', () => {
    const a: Record<string, unknown> = { n: 1n };
    a['self'] = a;
    expect(JSON.parse(safeStringify(a))).to.deep.equal({ n: '1', self: '[Circular]' });
  });
});

describe('input reading', () => {
  const invalid = (fn: () => unknown): Promise<string> => actionErrorOf('INVALID_INPUT', fn);

  it('takes --input FILE or nothing, and nothing else', async () => {
    expect(parseArgs([])).to.deep.equal({ kind: 'stdin' });
    expect(parseArgs(['--input', 'a.json'])).to.deep.equal({ kind: 'file', path: 'a.json' });
    expect(parseArgs(['--input=b.json'])).to.deep.equal({ kind: 'file', path: 'b.json' });
    expect(await invalid(() => parseArgs(['--input']))).to.match(/--input needs a file name/);
    expect(await invalid(() => parseArgs(['--input', 'a', '--input', 'b']))).to.match(/given twice/);
    expect(await invalid(() => parseArgs(['--secret', 'x']))).to.match(/Unknown command-line argument "--secret"; the only option is --input FILE/);
  });

  it('parses one JSON object; empty is {}', async () => {
    expect(parseInputText('', 'stdin')).to.deep.equal({});
    expect(parseInputText(' \n', 'stdin')).to.deep.equal({});
    expect(parseInputText('\uFEFF{"a":1}', 'stdin')).to.deep.equal({ a: 1 });
    expect(await invalid(() => parseInputText('{"a":', 'stdin'))).to.match(/The input on stdin is not valid JSON/);
    expect(await invalid(() => parseInputText('[]', 'stdin'))).to.match(/must be a JSON object .* got an array/);
    expect(await invalid(() => parseInputText('"x"', 'stdin'))).to.match(/got string/);
    expect(await invalid(() => parseInputText('null', 'stdin'))).to.match(/got null/);
  });

  it('reads stdin to its end, and treats a terminal as {}', async () => {
    const stream = new PassThrough() as unknown as NodeJS.ReadStream;
    const p = readRawInput({ kind: 'stdin' }, stream);
    (stream as unknown as PassThrough).write('{"case_id":');
    (stream as unknown as PassThrough).end('"7"}');
    expect(await p).to.deep.equal({ case_id: '7' });
    const tty = Object.assign(new PassThrough(), { isTTY: true }) as unknown as NodeJS.ReadStream;
    expect(await readRawInput({ kind: 'stdin' }, tty)).to.deep.equal({});
  });

  it('reads an input file, and names a file it cannot read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'input-'));
    fs.writeFileSync(path.join(dir, 'in.json'), '{"x":true}');
    expect(await readRawInput({ kind: 'file', path: path.join(dir, 'in.json') }, process.stdin)).to.deep.equal({ x: true });
    expect(await invalid(() => readRawInput({ kind: 'file', path: path.join(dir, 'none.json') }, process.stdin))).to.match(/none\.json" cannot be read \(ENOENT\)/);
    expect(await invalid(() => readRawInput({ kind: 'file', path: dir }, process.stdin))).to.match(/is not a file/);
  });
});

describe('results and exit codes', () => {
  it('uses exactly the contract\'s error codes, exit 2 only for input and configuration', () => {
    expect([...ERROR_CODES]).to.deep.equal(envelopeSchema.properties.error.properties.code.enum);
    for (const code of ERROR_CODES) expect(exitCodeFor(code), code).to.equal(code === 'INVALID_INPUT' || code === 'CONFIGURATION' ? 2 : 1);
  });

  it('recognises an ActionError or TransportError made by another bundle\'s copy of the class', () => {
    const foreign = Object.assign(new Error('from dist/shared'), { code: 'NETWORK', [Symbol.for('m365d-soar.ActionError')]: true });
    expect(foreign instanceof ActionError).to.equal(true);
    expect(new Error('plain') instanceof ActionError).to.equal(false);
    expect(failure('Ping', foreign).envelope.error).to.deep.equal({ code: 'NETWORK', message: 'from dist/shared' });
    const transport = Object.assign(new Error('reset'), { [Symbol.for('m365d-soar.TransportError')]: true });
    expect(transport instanceof TransportError).to.equal(true);
    expect(new ActionError('NETWORK', 'x') instanceof TransportError).to.equal(false);
  });

  it('builds failed results that satisfy the envelope schema', () => {
    const known = failure('Ping', new ActionError('PERMISSION', 'The app lacks SecurityIncident.Read.All.'));
    expect(known.exitCode).to.equal(1);
    expect(known.envelope).to.deep.equal({
      status: 'failed',
      result_value: false,
      output_message: 'Ping failed: The app lacks SecurityIncident.Read.All.',
      json_result: {},
      error: { code: 'PERMISSION', message: 'The app lacks SecurityIncident.Read.All.' },
    });
    const unknown = failure('Ping', new TypeError('x is not a function'));
    expect(unknown.envelope.error).to.deep.equal({ code: 'INTERNAL', message: 'Unexpected error: x is not a function' });
    expect(failure('Ping', 'a string').envelope.error?.message).to.equal('Unexpected error: a string');
    for (const r of [known, unknown]) expect(validateEnvelope(r.envelope), JSON.stringify(validateEnvelope.errors)).to.equal(true);
  });

  it('builds completed results: skipped entities added, state only for daemons, bad outcomes refused', () => {
    const def = (type: 'Enrichment' | 'Daemon', entityTypes?: ['ADDRESS']) =>
      ({ spec: { id: 'x', name: 'X', type, timeoutSeconds: 1, inputSchema: {}, validate: () => true }, entityTypes, run: async () => { throw new Error('unused'); } }) as never;
    const skipped = [{ Identifier: 'a', EntityType: 'PROCESS', status: 'skipped' as const, message: 'm' }];
    const c = completion(def('Enrichment', ['ADDRESS']), { result_value: true, output_message: 'ok', json_result: { a: 1 }, state: { s: 1 } }, skipped);
    expect(c).to.deep.equal({ status: 'completed', result_value: true, output_message: 'ok', json_result: { a: 1 }, entities: skipped });
    expect(validateEnvelope(c)).to.equal(true);
    const noEntities = completion(def('Enrichment'), { result_value: false, output_message: 'none', json_result: [] }, []);
    expect(noEntities).not.to.have.property('entities');
    const d = completion(def('Daemon'), { result_value: true, output_message: 'ok', json_result: [], state: { v: 1 } }, []);
    expect(d.state).to.deep.equal({ v: 1 });
    expect(() => completion(def('Daemon'), { result_value: true, output_message: 'ok', json_result: [] }, [])).to.throw(/no checkpoint/);
    expect(() => completion(def('Enrichment'), { result_value: true, output_message: 'ok', json_result: 'x' as never }, [])).to.throw(/not an object or an array/);
  });
});
