// The result written in pieces (json.ts jsonPieces) must be the very bytes of safeStringify(envelope), with the same
// text map (redaction on values) applied to every string and member name: property tests over seeded random values
// and envelopes with secrets in rows, in keys and at the edges of pieces.
import { expect } from 'chai';
import { jsonPieces, safeStringify } from '../../../lib/runtime/json';
import { Redactor } from '../../../lib/runtime/redact';
import { prng } from '../../support/prng';

const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\nMORELINESOFBASE64DATA0123456789abcdef\n-----END PRIVATE KEY-----`;
/** registered secrets: plain, with ',' and '"' (as a proxy password may be), ending or starting with ',', non-ASCII, a PEM */
const SECRETS = ['Planted~Client.Secret_9f8e7d6c5b4a', 'pw,"x",y:1', 'abcd,', ',efgh', 'sécret-ü-ß-1', PEM];

function redactor(): Redactor {
  const r = new Redactor();
  for (const s of SECRETS) r.add(s);
  return r;
}

/** Fragments that make texts interesting to the redactor: secrets in every form, token shapes, punctuation. */
function fragment(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const secret = pick(SECRETS);
  switch (Math.floor(r() * 16)) {
    case 0: return secret;
    case 1: return JSON.stringify(secret).slice(1, -1);
    case 2: return encodeURIComponent(secret);
    case 3: return secret.slice(0, 1 + Math.floor(r() * secret.length)); // a beginning only
    case 4: return secret.slice(Math.floor(r() * secret.length)); // an end only
    case 5: return 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl';
    case 6: return pick(['Bearer abcdefghijkl', 'Basic dXNlcjpwYXNzd29yZA==', 'Bearer ', 'bearer\tzzzzzzzzzz']);
    case 7: return pick(['client_secret=s3cr3tvalue', '"password":"hunter22"', 'access_token: tok', 'refresh_token=']);
    case 8: return pick(['http://bob:hunter2@proxy:3128', 'https://user:', 'pa,ss@host', 'ftp://a', '://', '@', '/']);
    case 9: return pick(['-----BEGIN PRIVATE KEY-----', '-----END PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----', '-----END RSA PRIVATE KEY-----', PEM_BODY]);
    case 10: return pick([',', ',,', '","', '},{', '[', ']', '{', '}', ':', '"', '\\', '\n', ' ']);
    case 11: return pick(['é', '☃', '𝄞', '\u0000', '\u2028']);
    default: {
      let s = '';
      const n = Math.floor(r() * 12);
      for (let i = 0; i < n; i++) s += String.fromCharCode(32 + Math.floor(r() * 95));
      return s;
    }
  }
}

function text(r: () => number, max = 8): string {
  let s = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += fragment(r);
  return s;
}

/** A random value for safeStringify: JSON values and what it spells out (bigint, Error, Date, shared objects, cycles). */
function value(r: () => number, depth: number, pool: object[]): unknown {
  const k = Math.floor(r() * (depth > 0 ? 16 : 10));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor(r() * 2000) - 1000;
    case 3: return r() * 1e6;
    case 4: return BigInt(Math.floor(r() * 1e9));
    case 5: return undefined;
    case 6: return new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 1e10));
    case 7: return Object.assign(new Error(text(r, 3)), r() < 0.5 ? { code: 'E_CODE' } : {});
    case 8: return pool.length && r() < 0.5 ? pool[Math.floor(r() * pool.length)] : () => 1; // a shared object or a function
    case 9: return text(r);
    case 10: case 11: case 12: {
      const a: unknown[] = [];
      const n = Math.floor(r() * 6);
      for (let i = 0; i < n; i++) a.push(value(r, depth - 1, pool));
      if (r() < 0.1) a.length += 2; // holes
      pool.push(a);
      return a;
    }
    default: {
      const o: Record<string, unknown> = r() < 0.1 ? (Object.create(null) as Record<string, unknown>) : {};
      const n = Math.floor(r() * 6);
      for (let i = 0; i < n; i++) o[r() < 0.3 ? text(r, 3) : `k${i}`] = value(r, depth - 1, pool);
      if (r() < 0.05) o['self'] = o; // a cycle
      pool.push(o);
      return o;
    }
  }
}

/** An envelope shaped like the runtime's, with many rows of strings that carry secrets. */
function envelope(r: () => number): Record<string, unknown> {
  const pool: object[] = [];
  const rows = Array.from({ length: Math.floor(r() * 60) }, () => {
    const row: Record<string, unknown> = {};
    const n = 1 + Math.floor(r() * 5);
    for (let i = 0; i < n; i++) row[r() < 0.2 ? text(r, 2) : `Col${i}`] = r() < 0.7 ? text(r) : value(r, 2, pool);
    return row;
  });
  const json = r() < 0.3 ? rows : { query: text(r), row_count: rows.length, schema: [{ name: 'Col0', type: 'String' }], rows, extra: value(r, 3, pool) };
  return {
    status: 'completed',
    result_value: r() < 0.5,
    output_message: text(r),
    json_result: json,
    ...(r() < 0.5 ? { tables: [{ title: text(r, 2), columns: ['a', 'b'], rows: rows.slice(0, 3).map((x) => Object.values(x).slice(0, 2)) }] } : {}),
    ...(r() < 0.3 ? { entities: [{ Identifier: text(r, 3), EntityType: 'HOSTNAME', status: 'success', message: text(r, 2) }] } : {}),
  };
}

describe('the result in pieces', () => {
  it('jsonPieces joins to exactly safeStringify, at every depth, for random values and envelopes', () => {
    const r = prng(0x5eed01);
    for (let i = 0; i < 400; i++) {
      const v = i % 2 ? envelope(r) : value(r, 4, []);
      const whole = safeStringify(v) ?? ''; // undefined for undefined, a function, ...
      for (const depth of [0, 1, 2, 3, 5]) expect([...jsonPieces(v, depth)].join(''), `case ${i}, depth ${depth}`).to.equal(whole);
    }
  });

  it('keeps what safeStringify spells out: bigints, errors, shared objects, cycles, undefined and functions', () => {
    const shared = { s: 1 };
    const a: Record<string, unknown> = { n: 1n, e: new Error('x'), u: undefined, f: () => 1, list: [shared, shared, undefined, () => 1], again: shared, d: new Date(0) };
    a['self'] = a;
    a['rows'] = [a, [a]];
    expect([...jsonPieces(a)].join('')).to.equal(safeStringify(a));
    expect([...jsonPieces(undefined)].join('')).to.equal('');
    expect([...jsonPieces(7n)].join('')).to.equal('"7"');
  });

  it('passes every string and member name through the text map, at every depth, as safeStringify does', () => {
    const r = prng(0x5eed02);
    const red = redactor();
    const map = (t: string): string => red.redactSecrets(t);
    let changed = 0;
    for (let i = 0; i < 300; i++) {
      const v = envelope(r);
      const whole = safeStringify(v, map) ?? '';
      if (whole !== safeStringify(v)) changed++;
      for (const depth of [0, 1, 2, 3, 5]) expect([...jsonPieces(v, depth, map)].join(''), `case ${i}, depth ${depth}`).to.equal(whole);
    }
    expect(changed, 'envelopes with a secret in them').to.be.greaterThan(200);
  });

  it('makes two member names that the map makes equal one member, in the first one\'s place, with the later value', () => {
    const red = redactor();
    const map = (t: string): string => red.redactSecrets(t);
    const v = { rows: [{ a: 1, [`x-${SECRETS[0]}`]: 2, b: 3, [`x-${SECRETS[4]}`]: 4 }], [`x-${SECRETS[0]}`]: { deep: 1 }, c: 5, [`x-${SECRETS[4]}`]: { deep: 2 } };
    const expected = '{"rows":[{"a":1,"x-[REDACTED]":4,"b":3}],"x-[REDACTED]":{"deep":2},"c":5}';
    expect(safeStringify(v, map)).to.equal(expected);
    for (const depth of [0, 1, 2, 3]) expect([...jsonPieces(v, depth, map)].join(''), `depth ${depth}`).to.equal(expected);
  });
});
