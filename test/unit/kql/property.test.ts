// Property tests: arbitrary identifiers (seeded) through entityFilter and buildQuery, parsed by Microsoft's Kusto parser
// against the hunting schema. Each value must reach the query as exactly one string-literal token equal to it, and the
// query must have exactly the tokens of the same query built with harmless placeholder values.
import { expect } from 'chai';
import { entityFilter, looksLikeUpn, type EntityKeys } from '../../../lib/kql/entities';
import { kqlString } from '../../../lib/kql/literal';
import { buildQuery } from '../../../lib/kql/query';
import type { Entity, EntityType } from '../../../lib/runtime/entities';
import { analyze, errorOf, expectClean, kindName, loadKusto, shape } from './kusto-support';
import { prng } from '../../support/prng';


const FRAGMENTS = [
  "'", '"', '\\', '\\"', '"|', '" | take 1000000 | ', '//', '// comment', '\n', '\r', '\r\n', '\t', ' ', '  ', ';', '|', ',', '(', ')',
  '..', '==', 'in~', ' or ', ' and ', '*', '@"', "@'", 'h"', 'H\'', '```', '~~~', '{', '}', '$', '%', '`', '\\n', '\\u0041', '\\x41', '\\0',
  'let x = 1;', 'DeviceEvents', '10.0.0.5', 'alice@contoso.com', 'https://evil.example/?a="b"&c=\'d\'', 'ü', 'ß', 'İ', '日本語', 'שלום',
  '😀', '👩‍💻', '\u00a0', '\u200b', '\u200d', '\ufeff', '\u00ad', '\ufffd', 'Ω', '\\\\server\\share', '"; drop', "' or 1==1 //",
];
const REFUSED = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000B', '\u000C', '\u001B', '\u001F', '\u007F', '\u0085', '\u009F', '\u2028', '\u2029', '\uD800', '\uDFFF'];

function randomChar(r: () => number): string {
  const pick = r();
  if (pick < 0.5) return String.fromCharCode(0x20 + Math.floor(r() * 0x5f)); // printable ASCII
  if (pick < 0.8) {
    // BMP outside controls, C1 and surrogates
    for (;;) {
      const c = 0xa0 + Math.floor(r() * (0xfffe - 0xa0));
      if ((c < 0xd800 || c > 0xdfff) && c !== 0x2028 && c !== 0x2029) return String.fromCharCode(c);
    }
  }
  return String.fromCodePoint(0x10000 + Math.floor(r() * 0xfffff)); // astral: a surrogate pair
}

function randomValue(r: () => number): string {
  const n = 1 + Math.floor(r() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += r() < 0.55 ? FRAGMENTS[Math.floor(r() * FRAGMENTS.length)] : randomChar(r);
  return s;
}

const TYPES: EntityType[] = ['ADDRESS', 'HOSTNAME', 'USERUNIQNAME', 'FILEHASH', 'DestinationURL', 'EMAILADDRESS'];
const TABLES = ['DeviceNetworkEvents', 'DeviceProcessEvents', 'DeviceLogonEvents', 'DeviceEvents', 'DeviceFileEvents', 'EmailEvents', 'EmailAttachmentInfo',
  'EmailUrlInfo', 'UrlClickEvents', 'IdentityLogonEvents', 'IdentityInfo', 'CloudAppEvents', 'AlertEvidence', 'DeviceInfo'];
/** with a key for hashes, any value is a hash value */
const KEYS: EntityKeys = { FILEHASH: 'SHA1' };

function entity(type: EntityType, identifier: string): Entity {
  return {
    identifier, type, types: new Set([type]), suspicious: false, internal: false,
    original: { Identifier: identifier, EntityType: type }, ...(type === 'EMAILADDRESS' ? { email: identifier } : {}),
  };
}

/** The query over `tables` for `entities`, or undefined when no table has a filter. */
function query(tables: string[], entities: Entity[], op: 'and' | 'or'): string | undefined {
  const tableFilters: Record<string, string> = {};
  for (const t of tables) {
    const f = entityFilter(t, entities, KEYS, op).filter;
    if (f !== undefined) tableFilters[t] = f;
  }
  const used = Object.keys(tableFilters);
  if (used.length === 0) return undefined;
  return buildQuery({ tables: used, tableFilters, range: { from: new Date('2024-06-01T00:00:00Z'), to: new Date('2024-06-02T00:00:00Z') }, sortOrder: 'desc', limit: 100, fields: ['Timestamp'] });
}

const RUNS = 250;

describe('kql property tests (seeded)', () => {
  before(function () {
    this.timeout(60_000);
    loadKusto();
  });

  it(`${RUNS} random entity sets: every value is exactly one literal equal to it; no other token differs`, () => {
    const r = prng(0x6b716c);
    let checkedValues = 0;
    for (let run = 0; run < RUNS; run++) {
      const count = 1 + Math.floor(r() * 4);
      const values: string[] = [];
      const lower = new Set<string>();
      while (values.length < count) {
        const v = randomValue(r);
        if (lower.has(v.toLowerCase())) continue;
        lower.add(v.toLowerCase());
        values.push(v);
      }
      const types = values.map(() => TYPES[Math.floor(r() * TYPES.length)]);
      const tables = [...new Set(Array.from({ length: 1 + Math.floor(r() * 3) }, () => TABLES[Math.floor(r() * TABLES.length)]))];
      const op = r() < 0.5 ? 'and' : 'or';
      // placeholders keep what decides the column (a user's UPN form)
      const placeholders = values.map((v, i) => (types[i] === 'USERUNIQNAME' && looksLikeUpn(v) ? `p${i}@x` : `p${i}`));

      const real = query(tables, values.map((v, i) => entity(types[i], v)), op);
      const skeleton = query(tables, placeholders.map((p, i) => entity(types[i], p)), op);
      const context = `run ${run}: ${JSON.stringify({ values, types, tables, op })}\n${real}`;
      expect(real === undefined, context).to.equal(skeleton === undefined);
      if (real === undefined || skeleton === undefined) continue;

      const a = expectClean(real);
      const b = expectClean(skeleton);
      expect(shape(a), context).to.deep.equal(shape(b));
      expect(a.strings.length, context).to.equal(b.strings.length);
      b.strings.forEach((p, k) => {
        const i = placeholders.indexOf(p);
        expect(i, context).to.be.greaterThan(-1);
        expect(a.strings[k], context).to.equal(values[i]);
        checkedValues++;
      });
      // every string token is a single literal, never part of a compound literal
      expect(a.tokens.filter((t) => kindName(t) === 'StringLiteralToken').length, context).to.equal(b.strings.length);
    }
    expect(checkedValues).to.be.greaterThan(RUNS); // the property was exercised, not skipped
  });

  it('control characters, separators and lone surrogates anywhere are refused, naming the entity', () => {
    const r = prng(0xc0ffee);
    let refused = 0;
    for (let run = 0; run < 200; run++) {
      const v = randomValue(r);
      const at = Math.floor(r() * (v.length + 1));
      const bad = `${v.slice(0, at)}${REFUSED[Math.floor(r() * REFUSED.length)]}${v.slice(at)}`;
      // an inserted surrogate may pair up with a neighbour: test only what is really malformed
      if (!/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(bad)) continue;
      refused++;
      expect(errorOf('INVALID_INPUT', () => entityFilter('DeviceEvents', [entity('HOSTNAME', bad)], {}, 'or')), JSON.stringify(bad)).to.contain('The HOSTNAME entity');
      expect(errorOf('INVALID_INPUT', () => kqlString(bad, 'query')), JSON.stringify(bad)).to.contain("Parameter 'query'");
    }
    expect(refused).to.be.greaterThan(150);
  });

  it('a user where clause ending in a // comment with arbitrary text: the sort, take and project still apply', () => {
    const r = prng(42);
    for (let run = 0; run < 100; run++) {
      const v = randomValue(r);
      const junk = randomValue(r).replace(/[\r\n\u0085\u2028\u2029]/g, ' ');
      const q = buildQuery({
        tables: ['DeviceProcessEvents'], where: `| where FileName == ${kqlString(v, 'value')} // ${junk}`, range: { from: new Date('2024-06-01T00:00:00Z'), to: new Date('2024-06-02T00:00:00Z') },
        sortOrder: 'asc', limit: 3, fields: ['FileName'],
      });
      const a = expectClean(q);
      expect(a.strings, q).to.deep.equal([v]);
      const ops = a.tokens.filter((_, i) => i > 0 && kindName(a.tokens[i - 1]) === 'BarToken').map((t) => kindName(t));
      expect(ops, q).to.deep.equal(['WhereKeyword', 'WhereKeyword', 'SortKeyword', 'TakeKeyword', 'ProjectKeyword']);
      expect(analyze(q).tokens.map((t) => t.Text).slice(-5), q).to.deep.equal(['take', '3', '|', 'project', 'FileName']);
    }
  });
});
