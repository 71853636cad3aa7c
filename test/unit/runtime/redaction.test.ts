// Redaction works on values, never on the serialised text (issue 13): a result always parses, and equals what the
// action returned with only the package's own secrets replaced; patterns (key blocks, password= forms, token shapes)
// apply to log lines and to the message of a failed result, inside each string, so they cannot break a line either.
// Property tests over seeded random results and log fields built from fragments that broke the old redactor.
import { expect } from 'chai';
import { ActionError } from '../../../lib/runtime/errors';
import { JsonLogger, LOG_CASE_ID_MAX, LOG_TEXT_MAX } from '../../../lib/runtime/log';
import { Redactor, REDACTED, redactShort } from '../../../lib/runtime/redact';
import { failure, resultPieces } from '../../../lib/runtime/result';
import type { ActionResultEnvelope } from '../../../lib/generated/contract.types';
import { prng } from '../../support/prng';

const B1 = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';
const B2 = 'MORELINESOFBASE64DATA0123456789abcdefMORELINESOFBASE64DATA012345';
const OWN_PEM = `-----BEGIN PRIVATE KEY-----\n${B1}\n${B2}\n-----END PRIVATE KEY-----`;
/** the package's own secrets: a client secret, a proxy password with JSON's special characters, short ones with ',',
 *  a non-ASCII one, the private key, and a token it obtained */
const SECRETS = [
  'Planted~Client.Secret_9f8e7d6c5b4a',
  'pw,"x",y:1\\z',
  'abcd,',
  ',efgh',
  'sécret-ü-ß-1',
  OWN_PEM,
  'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.T3duVG9rZW5TaWduYXR1cmU',
];

function redactor(): Redactor {
  const r = new Redactor();
  for (const s of SECRETS) r.add(s);
  return r;
}

/** Microsoft's data that the old redactor damaged: it must come back exactly as it went in. */
const HOSTILE = [
  '-----BEGIN PRIVATE KEY-----',
  '-----END PRIVATE KEY-----',
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0\n',
  '-----END RSA PRIVATE KEY-----',
  'password=abc"def',
  'client_secret=abc"def',
  'access_token=x\\"y',
  'refresh_token: "zzz"',
  'cmd.exe /c net use \\\\srv\\c$ /user:admin /password=Winter2024!',
  '{"password":"hunter22"}',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmFseXN0In0.c2lnbmF0dXJlLXVua25vd24',
  'Authorization: Bearer abcdefghijklmnop',
  'http://bob:hunter2@proxy:3128',
  REDACTED,
  '"', '\\', '\\"', '","', '"}]},{"', '\n', '\r\n', '\t', '\u2028', '\u0000', '\ud800', '𝄞', 'é☃',
];

/** One fragment of a string, and what it must be in the output. */
function fragment(r: () => number): [string, string] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const secret = pick(SECRETS);
  switch (Math.floor(r() * 10)) {
    case 0: return [secret, REDACTED];
    case 1: return [JSON.stringify(secret).slice(1, -1), REDACTED]; // as a value holding JSON text holds it
    case 2: return [encodeURIComponent(secret), REDACTED]; // as a URL in a value holds it
    case 3: return [pick([B1, B2]), REDACTED]; // one line of the key's body
    case 4: {
      // a near miss: the secret with one character changed, which is not a secret
      if (secret === OWN_PEM) return ['-----BEGIN PRIVATE KEY-----\nMIIE#', '-----BEGIN PRIVATE KEY-----\nMIIE#'];
      const k = Math.floor(secret.length / 2);
      const near = `${secret.slice(0, k)}#${secret.slice(k + 1)}`;
      return [near, near];
    }
    case 5: case 6: case 7: {
      const h = pick(HOSTILE);
      return [h, h];
    }
    default: {
      let s = '';
      const n = Math.floor(r() * 12);
      for (let i = 0; i < n; i++) s += String.fromCharCode(32 + Math.floor(r() * 95));
      return [s, s];
    }
  }
}

function text(r: () => number, max = 8): [string, string] {
  let input = '';
  let expected = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) {
    const [a, b] = fragment(r);
    input += a;
    expected += b;
  }
  return [input, expected];
}

/** A random JSON value and what it must be in the output: the same, with the known secrets replaced. */
function value(r: () => number, depth: number): [unknown, unknown] {
  switch (Math.floor(r() * (depth > 0 ? 9 : 6))) {
    case 0: return [null, null];
    case 1: return r() < 0.5 ? [true, true] : [false, false];
    case 2: {
      const n = Math.floor(r() * 2e6) - 1e6;
      return [n, n];
    }
    case 3: case 4: case 5: return text(r);
    case 6: case 7: {
      const a: unknown[] = [];
      const b: unknown[] = [];
      for (let i = Math.floor(r() * 6); i > 0; i--) {
        const [x, y] = value(r, depth - 1);
        a.push(x);
        b.push(y);
      }
      return [a, b];
    }
    default: {
      const a: Record<string, unknown> = {};
      const b: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 6); i > 0; i--) {
        // member names carry the strings too; the prefix keeps them apart once the secrets are replaced
        const [k, kk] = r() < 0.4 ? text(r, 3) : [`Col${i}`, `Col${i}`];
        const [x, y] = value(r, depth - 1);
        a[`${i}:${k}`] = x;
        b[`${i}:${kk}`] = y;
      }
      return [a, b];
    }
  }
}

/** A completed result shaped like the package's: incidents or hunting rows, a table, entities. */
function result(r: () => number): [ActionResultEnvelope, unknown] {
  const rows: unknown[] = [];
  const expectedRows: unknown[] = [];
  for (let i = Math.floor(r() * 40); i > 0; i--) {
    const [x, y] = value(r, 4);
    rows.push(x);
    expectedRows.push(y);
  }
  const [message, expectedMessage] = text(r);
  const [title, expectedTitle] = text(r, 3);
  const envelope = { status: 'completed', result_value: r() < 0.5, output_message: message, json_result: r() < 0.3 ? rows : { row_count: rows.length, rows }, tables: [{ title, columns: ['a'], rows: [[title]] }] };
  const expected = { ...envelope, output_message: expectedMessage, json_result: Array.isArray(envelope.json_result) ? expectedRows : { row_count: rows.length, rows: expectedRows }, tables: [{ title: expectedTitle, columns: ['a'], rows: [[expectedTitle]] }] };
  return [envelope as ActionResultEnvelope, expected];
}

const written = (envelope: ActionResultEnvelope, red: Redactor): string => `${[...resultPieces(envelope, red)].join('')}\n`;

describe('redaction on values', () => {
  it('writes a result that parses and equals the input with only the known secrets replaced (property)', () => {
    const r = prng(0x13ed01);
    const red = redactor();
    let hostile = 0;
    for (let i = 0; i < 600; i++) {
      const [envelope, expected] = result(r);
      const out = written(envelope, red);
      expect(out.endsWith('\n') && !out.slice(0, -1).includes('\n'), `case ${i}: one line`).to.equal(true);
      let parsed: unknown;
      expect(() => (parsed = JSON.parse(out)), `case ${i} parses: ${out.slice(0, 300)}`).not.to.throw();
      expect(parsed, `case ${i}`).to.deep.equal(expected);
      for (const s of SECRETS) expect(out, `case ${i} holds a secret`).not.to.include(s);
      if (HOSTILE.slice(0, 5).some((h) => JSON.stringify(envelope).includes(JSON.stringify(h).slice(1, -1)))) hostile++;
    }
    expect(hostile, 'results holding key blocks and password= forms').to.be.greaterThan(400);
  });

  it('keeps key blocks and password= forms in data: a BEGIN without END, a BEGIN and an END in two incidents, a quote after password=', () => {
    const red = redactor();
    const incidents = [
      { id: '1', title: 'x -----BEGIN PRIVATE KEY----- y', comments: [{ comment: 'password=abc"def' }] },
      { id: '2', title: '-----BEGIN RSA PRIVATE KEY-----', description: `${B1.replace('M', 'N')}` },
      { id: '3', title: 'between' },
      { id: '4', title: '-----END RSA PRIVATE KEY-----', rows: [{ ProcessCommandLine: 'net use /password=Winter2024! client_secret=abc"def access_token=x\\"y' }] },
    ];
    const envelope = { status: 'completed', result_value: true, output_message: '4 incidents', json_result: { incidents } } as ActionResultEnvelope;
    expect(JSON.parse(written(envelope, red))).to.deep.equal(envelope);
  });

  it('replaces the known secrets wherever they are: values, member names, nested, in every form', () => {
    const red = redactor();
    const [client, , , , , pem, token] = SECRETS as [string, string, string, string, string, string, string];
    const envelope = {
      status: 'completed', result_value: true, output_message: `with ${client}`,
      json_result: { [`key-${client}`]: [{ deep: { deeper: `a${token}b`, body: `line ${B2} end`, pem, escaped: JSON.stringify({ secret: SECRETS[1] }), url: `https://x/?s=${encodeURIComponent(SECRETS[4]!)}` } }] },
    } as ActionResultEnvelope;
    expect(JSON.parse(written(envelope, red))).to.deep.equal({
      status: 'completed', result_value: true, output_message: `with ${REDACTED}`,
      json_result: { [`key-${REDACTED}`]: [{ deep: { deeper: `a${REDACTED}b`, body: `line ${REDACTED} end`, pem: REDACTED, escaped: `{"secret":"${REDACTED}"}`, url: `https://x/?s=${REDACTED}` } }] },
    });
  });

  it('redacts the message of a failed result by pattern too, inside the string, bounded to the key block', () => {
    const red = redactor();
    const said = `Microsoft said: -----BEGIN PRIVATE KEY-----\n${B1.replace('M', 'N')}\n, then password=abc"def, Bearer abcdefghijkl, ${SECRETS[0]}`;
    const { envelope } = failure('Get Incident', new ActionError('API_ERROR', said));
    const out = JSON.parse(written(envelope, red));
    const message = `Microsoft said: -----BEGIN PRIVATE KEY-----${REDACTED}, then password=${REDACTED}"def, Bearer ${REDACTED}, ${REDACTED}`;
    expect(out.error).to.deep.equal({ code: 'API_ERROR', message });
    expect(out.output_message).to.equal(`Get Incident failed: ${message}`);
    // the package's own help texts that name key blocks and proxy URLs are not damaged
    for (const help of [
      'M365D_CLIENT_CERTIFICATE is cut short: the -----BEGIN PRIVATE KEY----- block has no -----END line before the next block; paste the whole PEM, or give the path of the file.',
      'M365D_CLIENT_CERTIFICATE holds a key in OpenSSH format: give an RSA key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----) with its certificate.',
      'M365D_PROXY_URL is not a URL; give http://host:port or http://user:password@host:port.',
      'the proxy http://alice:****@proxy.contoso.com:3128 refused the connection',
    ]) {
      const failed = failure('Ping', new ActionError('CONFIGURATION', help)).envelope;
      expect(JSON.parse(written(failed, red)).error.message).to.equal(help);
    }
  });

  it('redacts key blocks in messages whole, cut short, with escaped newlines, and never past their base64', () => {
    const red = new Redactor();
    const body = B1.replace('M', 'N');
    expect(red.redact(`a -----BEGIN PRIVATE KEY-----\n${body}\n${B2}\n-----END PRIVATE KEY----- b`)).to.equal(`a -----BEGIN PRIVATE KEY-----${REDACTED}-----END PRIVATE KEY----- b`);
    expect(red.redact(`a -----BEGIN EC PRIVATE KEY-----\\n${body}\\n-----END EC PRIVATE KEY-----"}`)).to.equal(`a -----BEGIN EC PRIVATE KEY-----${REDACTED}-----END EC PRIVATE KEY-----"}`);
    expect(red.redact(`a -----BEGIN PRIVATE KEY-----\n${body}`)).to.equal(`a -----BEGIN PRIVATE KEY-----${REDACTED}`);
    expect(red.redact(`{"a":"-----BEGIN PRIVATE KEY-----\\n${body}","b":"-----END PRIVATE KEY-----"}`)).to.equal(`{"a":"-----BEGIN PRIVATE KEY-----${REDACTED}","b":"-----END PRIVATE KEY-----"}`);
    expect(red.redact('-----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY-----')).to.equal('-----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY-----');
  });
});

describe('redaction in log lines', () => {
  it('writes lines that parse, one per entry, without a known secret, whatever the fields hold (property)', () => {
    const r = prng(0x13ed02);
    const red = redactor();
    const lines: string[] = [];
    const log = new JsonLogger((l) => lines.push(l), red, 'x');
    log.level = 'debug';
    for (let i = 0; i < 400; i++) {
      const [msg] = text(r);
      const [fields] = value(r, 4);
      log.caseId = text(r, 3)[0];
      log.info(msg, { fields, error: new Error(text(r)[0]) });
    }
    expect(lines).to.have.length(400);
    for (const [i, line] of lines.entries()) {
      expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), `line ${i}`).to.equal(true);
      expect(() => JSON.parse(line), `line ${i}: ${line.slice(0, 300)}`).not.to.throw();
      for (const s of SECRETS) for (const form of [s, JSON.stringify(s).slice(1, -1), JSON.stringify(JSON.stringify(s).slice(1, -1)).slice(1, -1), encodeURIComponent(s), B1, B2]) expect(line, `line ${i}`).not.to.include(form);
    }
  });

  it('redacts field values by pattern, at any depth and in member names, without breaking the line', () => {
    const lines: string[] = [];
    const log = new JsonLogger((l) => lines.push(l), new Redactor(), 'x');
    log.warn('password=abc"def', { nested: { list: ['client_secret=abc"def', { 'access_token=x\\"y': '-----BEGIN PRIVATE KEY-----' }] }, pem: `-----BEGIN PRIVATE KEY-----\n${B1}` });
    const line = JSON.parse(lines[0]!);
    expect(line.msg).to.equal(`password=${REDACTED}"def`);
    expect(line.nested).to.deep.equal({ list: [`client_secret=${REDACTED}"def`, { [`access_token=${REDACTED}"y`]: '-----BEGIN PRIVATE KEY-----' }] });
    expect(line.pem).to.equal(`-----BEGIN PRIVATE KEY-----${REDACTED}`);
  });

  it('shortens a 10 MB case id and any long value, so that every line stays a normal line', () => {
    const lines: string[] = [];
    const red = redactor();
    const log = new JsonLogger((l) => lines.push(l), red, 'x');
    const huge = `${SECRETS[0]}${'c'.repeat(10 * 1024 * 1024)}`;
    log.caseId = huge;
    log.info('started', { query: huge, list: [huge] });
    const line = lines[0]!;
    expect(line.length).to.be.below(3 * LOG_TEXT_MAX + 1000);
    const parsed = JSON.parse(line);
    expect(parsed.case_id).to.equal(`${REDACTED}${'c'.repeat(LOG_CASE_ID_MAX - REDACTED.length)}... (${huge.length} characters in all)`);
    expect(parsed.query).to.match(new RegExp(`^\\[REDACTED\\]c+\\.\\.\\. \\(${huge.length} characters in all\\)$`));
    expect(parsed.query.length).to.be.below(LOG_TEXT_MAX + 50);
    expect(parsed.list[0]).to.equal(parsed.query);
  });

  it('redactShort redacts a secret that the cut would split, and a key block the cut falls into', () => {
    const red = redactor();
    const secret = SECRETS[0]!;
    const text = `${'a'.repeat(95)}${secret}${'b'.repeat(100_000)}`;
    expect(redactShort(red, text, 100)).to.equal(`${'a'.repeat(95)}[REDA... (${text.length} characters in all)`);
    const key = `${'a'.repeat(90)} -----BEGIN PRIVATE KEY-----\n${'QUJD'.repeat(30_000)}`;
    expect(redactShort(new Redactor(), key, 200)).to.equal(`${'a'.repeat(90)} -----BEGIN PRIVATE KEY-----${REDACTED}... (${key.length} characters in all)`);
  });
});
