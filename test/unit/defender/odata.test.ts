import { expect } from 'chai';
import { ActionError } from '../../../lib/runtime/errors';
import {
  DEFENDER_INCIDENT_FILTER_FIELDS,
  GRAPH_INCIDENT_FILTER_FIELDS,
  checkNextLink,
  encodeQueryValue,
  filterBuilder,
  nextLinkPath,
  odataDateTime,
  odataString,
  queryString,
  type ODataFilter,
  type ODataLiteral,
} from '../../../lib/defender/odata';
// The emulator's OData parser is the independent model of Microsoft's; tests may use it, lib/ may not.
import { type EntityModel, type Pred, parseFilter, parseQueryString } from '../../emulator/tenant/odata';
import { type Stamp, parseStamp } from '../../emulator/tenant/model';
import { prng } from '../../support/prng';

interface Row { displayName: string | null; status: string; createdDateTime: Stamp }
const MODEL: EntityModel<Row> = {
  typeName: 'microsoft.graph.security.incident',
  caseInsensitiveNames: false,
  declared: ['displayName', 'status', 'createdDateTime'],
  filterable: [
    { name: 'displayName', type: { kind: 'string' }, get: (r) => r.displayName },
    { name: 'status', type: { kind: 'enum', typeName: 'microsoft.graph.security.incidentStatus', members: ['active', 'resolved', 'inProgress', 'redirected'], caseInsensitive: true }, get: (r) => r.status },
    { name: 'createdDateTime', type: { kind: 'datetime' }, get: (r) => r.createdDateTime },
  ],
};

/** Sends a filter the way an action does (queryString), then decodes and parses it the way the service does. */
function roundTrip(filter: string, extra: Record<string, string | number | boolean | undefined> = {}): Pred<Row> {
  const qs = queryString({ $filter: filter, $top: 50, ...extra });
  const options = parseQueryString(qs);
  expect(options.get('$filter')).to.equal(filter);
  expect(options.get('$top')).to.equal('50');
  return parseFilter(options.get('$filter') as string, MODEL);
}

function thrown(fn: () => unknown): ActionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ActionError) return err;
    throw err;
  }
  throw new Error('nothing was thrown');
}

const graph = filterBuilder([...GRAPH_INCIDENT_FILTER_FIELDS, 'displayName']);

describe('defender/odata: literals', () => {
  it('quotes and doubles single quotes', () => {
    expect(odataString('abc')).to.equal("'abc'");
    expect(odataString("O'Brien")).to.equal("'O''Brien'");
    expect(odataString("''")).to.equal("''''''");
    expect(odataString("'")).to.equal("''''");
    expect(odataString('')).to.equal("''");
    expect(odataString("x' or 1 eq 1 or 'a")).to.equal("'x'' or 1 eq 1 or ''a'");
  });

  it('leaves every other character as it is', () => {
    for (const s of ['100%', '%27', 'a&b', '#1', 'a+b', 'a=b', '"q"', 'line1\nline2\r\n', 'tab\there', 'Zoë', '日本語', '😀🔥', 'a\u0000b', '\uFEFF', '$filter=x', '?&=#']) {
      expect(odataString(s)).to.equal(`'${s}'`);
    }
  });

  it('refuses lone surrogates, naming the parameter', () => {
    for (const s of ['\uD83D', 'a\uD83Db', '\uDE00', 'x\uDE00\uD83D']) {
      const e = thrown(() => odataString(s, 'assigned_to'));
      expect(e.code).to.equal('INVALID_INPUT');
      expect(e.message).to.match(/^Parameter 'assigned_to' contains an unpaired UTF-16 surrogate \(U\+D[8-F][0-9A-F]{2}\)/);
    }
    expect(odataString('\uD83D\uDE00')).to.equal("'😀'"); // a pair is fine
  });

  it('writes DateTimeOffset literals unquoted, in UTC with milliseconds', () => {
    expect(odataDateTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)))).to.equal('2024-01-02T03:04:05.678Z');
    expect(odataDateTime(new Date('2024-05-01T02:00:00+02:00'))).to.equal('2024-05-01T00:00:00.000Z');
    expect(thrown(() => odataDateTime(new Date(Number.NaN))).code).to.equal('INTERNAL');
    expect(thrown(() => odataDateTime(new Date(Date.UTC(10000, 0, 1)))).code).to.equal('INTERNAL');
  });

  it('a DateTimeOffset literal is read back as the same instant by the service model', () => {
    const d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    const p = roundTrip(graph.ge('createdDateTime', odataDateTime(d)));
    expect(p).to.include({ k: 'cmp', op: 'ge' });
    expect((p as { value: Stamp }).value).to.deep.equal(parseStamp('2024-01-02T03:04:05.678Z'));
  });
});

describe('defender/odata: filter builder', () => {
  const s = odataString('active');
  it('builds comparisons, lists and groups', () => {
    expect(graph.eq('status', s)).to.equal("status eq 'active'");
    expect(graph.ne('status', s)).to.equal("status ne 'active'");
    const t = odataDateTime(new Date(Date.UTC(2024, 0, 1)));
    expect(graph.gt('createdDateTime', t)).to.equal('createdDateTime gt 2024-01-01T00:00:00.000Z');
    expect(graph.ge('createdDateTime', t)).to.equal('createdDateTime ge 2024-01-01T00:00:00.000Z');
    expect(graph.lt('lastUpdateDateTime', t)).to.equal('lastUpdateDateTime lt 2024-01-01T00:00:00.000Z');
    expect(graph.le('lastUpdateDateTime', t)).to.equal('lastUpdateDateTime le 2024-01-01T00:00:00.000Z');
    const two = [odataString('active'), odataString('inProgress')];
    expect(graph.inList('status', two)).to.equal("status in ('active','inProgress')");
    expect(graph.inList('status', two, 'or')).to.equal("(status eq 'active' or status eq 'inProgress')");
    expect(graph.inList('status', [s])).to.equal("status eq 'active'");
    const a = graph.eq('status', s);
    const b = graph.eq('severity', odataString('high'));
    expect(graph.and(a, b)).to.equal("(status eq 'active' and severity eq 'high')");
    expect(graph.or(a, b)).to.equal("(status eq 'active' or severity eq 'high')");
    expect(graph.and(a)).to.equal(a);
    expect(graph.and(graph.or(a, b), graph.ge('createdDateTime', t))).to.equal("((status eq 'active' or severity eq 'high') and createdDateTime ge 2024-01-01T00:00:00.000Z)");
  });

  it('the legacy builder writes lists as or chains by default', () => {
    const legacy = filterBuilder(DEFENDER_INCIDENT_FILTER_FIELDS, { listForm: 'or' });
    expect(legacy.inList('status', [odataString('Active'), odataString('InProgress')])).to.equal("(status eq 'Active' or status eq 'InProgress')");
  });

  it('groups keep their meaning when parsed: and of an or', () => {
    const p = roundTrip(graph.and(graph.or(graph.eq('status', s), graph.eq('status', odataString('resolved'))), graph.eq('displayName', odataString('x'))));
    expect(p.k).to.equal('and');
    expect((p as { l: Pred<Row> }).l.k).to.equal('or');
  });

  it('refuses field names that are not identifiers or not allowed', () => {
    type Loose = (field: string, lit: ODataLiteral) => ODataFilter;
    const eq = graph.eq as Loose;
    for (const bad of ['status;drop', "status eq 'x' or 1 eq 1", 'status ', '1status', 'a/b', 'stat(us)', '', 'café']) {
      const e = thrown(() => eq(bad, s));
      expect(e.code).to.equal('INTERNAL');
      expect(e.message).to.contain('is not an identifier');
    }
    for (const bad of ['Status', 'severity2', 'incidentId']) {
      const e = thrown(() => eq(bad, s));
      expect(e.code).to.equal('INTERNAL');
      expect(e.message).to.equal(`OData filter field '${bad}' is not filterable here; filterable: assignedTo, classification, createdDateTime, determination, lastUpdateDateTime, severity, status, displayName.`);
    }
    const legacy = filterBuilder(DEFENDER_INCIDENT_FILTER_FIELDS);
    expect(thrown(() => (legacy.eq as Loose)('severity', s)).message).to.contain("'severity' is not filterable here; filterable: assignedTo, createdTime, lastUpdateTime, status");
    expect(thrown(() => (graph.inList as (f: string, l: ODataLiteral[]) => ODataFilter)('status;x', [s])).code).to.equal('INTERNAL');
    expect(thrown(() => filterBuilder(['ok', 'not ok'])).message).to.contain('"not ok" is not an identifier');
  });

  it('takes only literals made by odataString/odataDateTime', () => {
    // @ts-expect-error a raw string is not an ODataLiteral
    const attempt = (): ODataFilter => graph.eq('status', "'active'");
    expect(attempt()).to.equal("status eq 'active'"); // well-formed text passes the run-time check; the type is what forbids it
    // @ts-expect-error a field outside the allow-list does not type-check either
    expect(() => graph.eq('severity2', s)).to.throw(ActionError);
    const cast = (t: string): ODataLiteral => t as ODataLiteral;
    for (const bad of ["'x' or displayName eq 'y'", "x' or '1' eq '1", 'active', "'unterminated", '1 eq 1', '']) {
      expect(thrown(() => graph.eq('status', cast(bad))).code).to.equal('INTERNAL');
    }
    expect(thrown(() => graph.inList('status', [s, cast("'a') or (1 eq 1")])).code).to.equal('INTERNAL');
    expect(thrown(() => graph.inList('status', [])).code).to.equal('INTERNAL');
    expect(thrown(() => graph.and()).code).to.equal('INTERNAL');
  });
});

describe('defender/odata: query strings', () => {
  it('percent-encodes values so the server decodes the exact text', () => {
    expect(queryString({ $filter: "status eq 'active'", $top: 50, $count: true, $skip: undefined })).to.equal('$filter=status%20eq%20%27active%27&$top=50&$count=true');
    expect(encodeQueryValue("a b+c%d&e=f#g'h\"i?j/k")).to.equal('a%20b%2Bc%25d%26e%3Df%23g%27h%22i%3Fj%2Fk');
    expect(encodeQueryValue('é😀\n')).to.equal('%C3%A9%F0%9F%98%80%0A');
    expect(encodeQueryValue("!()*-._~")).to.equal('%21%28%29%2A-._~');
    expect(queryString({})).to.equal('');
  });

  it('refuses odd option names and non-finite numbers', () => {
    expect(thrown(() => queryString({ 'a&b': 'x' })).code).to.equal('INTERNAL');
    expect(thrown(() => queryString({ $top: Number.POSITIVE_INFINITY })).code).to.equal('INTERNAL');
  });

  it('values with quotes and URL metacharacters survive the service decoding', () => {
    for (const v of ["O'Brien", '100% & more', 'a+b=c', '#tag', "x' or 1 eq 1 or 'a", 'two  spaces', 'Zoë 😀', 'l1\nl2']) {
      const p = roundTrip(graph.eq('displayName', odataString(v)));
      expect(p).to.deep.include({ k: 'cmp', op: 'eq', value: v });
    }
  });
});

// ---------------------------------------------------------------- property test


const NASTY = ["'", "''", "'''", '%', '%25', '%2', '%zz', '%27', '&', '#', '+', '=', '?', '/', '\\', '"', ' ', '  ', '\t', '\n', '\r\n', '(', ')', ',', ';',
  ' eq ', ' or ', ' and ', ' in ', 'null', 'true', '$filter=', '&$top=1', "') or (1 eq 1", '\u0000', '\u007F', '\u00A0', '\u200B', '\uFEFF', '\u2028',
  'é', 'ß', 'Ω', '中文', 'עברית', '😀', '👩‍💻', '\uD83C\uDDEB\uD83C\uDDF7', '\uFFFD', '\uFFFF', 'A', 'z', '0', '9', '-', '.', '_', '~', '*', '!', '@', ':', '[', ']', '{', '}', '<', '>', '|', '^', '`'];

function randomString(next: () => number): string {
  const len = Math.floor(next() * 12);
  let s = '';
  for (let i = 0; i < len; i++) {
    const r = next();
    if (r < 0.6) s += NASTY[Math.floor(next() * NASTY.length)];
    else if (r < 0.8) s += String.fromCharCode(0x20 + Math.floor(next() * 0x5f)); // printable ASCII
    else if (r < 0.93) {
      let c = Math.floor(next() * 0xffff);
      if (c >= 0xd800 && c <= 0xdfff) c = 0x4e00 + (c - 0xd800); // any BMP character but a surrogate
      s += String.fromCharCode(c);
    } else s += String.fromCodePoint(0x10000 + Math.floor(next() * 0xfffff)); // astral: a surrogate pair
  }
  return s;
}

function countComparisons(p: Pred<Row>): number {
  switch (p.k) {
    case 'cmp': return 1;
    case 'in': return p.values.length;
    case 'and': case 'or': return countComparisons(p.l) + countComparisons(p.r);
    case 'not': return countComparisons(p.e);
    case 'const': return 0;
  }
}

describe('defender/odata: property test against the service model', () => {
  const SEED = 0x5eed0da7;
  const CASES = 2000;

  it(`displayName eq <literal> parses back to the exact string (${CASES} strings, seed ${SEED})`, () => {
    const next = prng(SEED);
    for (let i = 0; i < CASES; i++) {
      const s = randomString(next);
      const filter = graph.eq('displayName', odataString(s));
      let p: Pred<Row>;
      try {
        p = roundTrip(filter);
      } catch (err) {
        throw new Error(`case ${i}: ${JSON.stringify(s)} -> ${(err as Error).message}`);
      }
      expect(p.k, `case ${i}: ${JSON.stringify(s)}`).to.equal('cmp');
      expect(p, `case ${i}: ${JSON.stringify(s)}`).to.deep.include({ op: 'eq', value: s });
      expect((p as { field: { name: string } }).field.name).to.equal('displayName');
      expect(countComparisons(p)).to.equal(1);
    }
  });

  it('displayName in (...) and the or chain give exactly one comparison per value', () => {
    const next = prng(SEED + 1);
    for (let i = 0; i < CASES / 4; i++) {
      const values = Array.from({ length: 2 + Math.floor(next() * 4) }, () => randomString(next));
      const lits = values.map((v) => odataString(v));
      const asIn = roundTrip(graph.inList('displayName', lits, 'in'));
      expect(asIn.k, `case ${i}: ${JSON.stringify(values)}`).to.equal('in');
      expect((asIn as { values: unknown[] }).values).to.deep.equal(values);
      expect(countComparisons(asIn)).to.equal(values.length);

      const asOr = roundTrip(graph.inList('displayName', lits, 'or'));
      expect(countComparisons(asOr), `case ${i}: ${JSON.stringify(values)}`).to.equal(values.length);
      const seen: unknown[] = [];
      const walk = (p: Pred<Row>): void => {
        if (p.k === 'or') { walk(p.l); walk(p.r); return; }
        expect(p).to.deep.include({ k: 'cmp', op: 'eq' });
        seen.push((p as { value: unknown }).value);
      };
      walk(asOr);
      expect(seen).to.deep.equal(values);
    }
  });

  it('the encoded query string holds only unreserved characters and %XX escapes', () => {
    const next = prng(SEED + 2);
    for (let i = 0; i < 300; i++) {
      const qs = queryString({ $filter: graph.eq('displayName', odataString(randomString(next))), $top: 50 });
      expect(qs).to.match(/^\$filter=[A-Za-z0-9\-._~%]*&\$top=50$/);
      expect(qs.slice('$filter='.length).replace(/%[0-9A-F]{2}/g, '')).to.not.contain('%');
    }
  });
});

describe('defender/odata: nextLink', () => {
  const api = 'https://graph.microsoft.com';
  const link = 'https://graph.microsoft.com/v1.0/security/incidents?$top=10&$count=true&$skip=10';

  it('follows https links on the configured origin, unchanged', () => {
    expect(checkNextLink(link, api)).to.equal(link);
    expect(checkNextLink('https://GRAPH.microsoft.com:443/v1.0/x?$skiptoken=X%2744%27', api)).to.equal('https://GRAPH.microsoft.com:443/v1.0/x?$skiptoken=X%2744%27');
    expect(checkNextLink('https://127.0.0.1:8443/v1.0/security/incidents?$skip=50', 'https://127.0.0.1:8443')).to.contain('$skip=50');
  });

  it('refuses other hosts, http, other ports, user info and relative links', () => {
    const cases: Array<[string, string]> = [
      ['https://evil.example/v1.0/security/incidents?$skip=10', 'it points at https://evil.example, not the configured API'],
      ['https://graph.microsoft.com.evil.example/v1.0/x', 'not the configured API'],
      ['http://graph.microsoft.com/v1.0/security/incidents?$skip=10', 'it uses http, not https'],
      ['https://graph.microsoft.com:8443/v1.0/security/incidents', 'it points at https://graph.microsoft.com:8443'],
      ['https://user:pw@graph.microsoft.com/v1.0/x', 'user name or password'],
      ['https://graph.microsoft.com@evil.example/v1.0/x', 'user name or password'],
      ['/v1.0/security/incidents?$skip=10', 'not an absolute URL'],
      ['', 'it is empty'],
      ['javascript:alert(1)', 'it uses javascript, not https'],
    ];
    for (const [l, why] of cases) {
      const e = thrown(() => checkNextLink(l, api));
      expect(e.code, l).to.equal('API_ERROR');
      expect(e.message, l).to.contain(why);
      expect(e.message).to.contain('the token is only sent to https://graph.microsoft.com');
    }
    expect(thrown(() => checkNextLink('https://127.0.0.1:9443/x', 'https://127.0.0.1:8443')).code).to.equal('API_ERROR');
  });

  it('gives the path after the API root for DefenderApi.call', () => {
    expect(nextLinkPath(link, api)).to.equal('/v1.0/security/incidents?$top=10&$count=true&$skip=10');
    expect(nextLinkPath('https://proxy.example/graph/v1.0/security/incidents?$skip=50#frag', 'https://proxy.example/graph')).to.equal('/v1.0/security/incidents?$skip=50');
    expect(thrown(() => nextLinkPath('https://proxy.example/other/v1.0/x', 'https://proxy.example/graph')).code).to.equal('API_ERROR');
    expect(thrown(() => nextLinkPath('https://proxy.example/graphy/v1.0/x', 'https://proxy.example/graph')).code).to.equal('API_ERROR');
    // the query keeps its escapes; the decoded text is the same as the server sent
    const p = nextLinkPath("https://graph.microsoft.com/v1.0/x?$filter=displayName%20eq%20'a%26b'&$skip=5", api);
    expect(parseQueryString(p.slice(p.indexOf('?') + 1)).get('$filter')).to.equal("displayName eq 'a&b'");
  });
});
