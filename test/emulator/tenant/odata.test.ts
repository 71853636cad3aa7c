import { expect } from 'chai';
import { type Stamp, isoStamp, parseStamp } from './model';
import { type EntityModel, ODataError, evaluate, parseFilter, parseOrderBy, parseQueryString, compareBy } from './odata';

interface Row { name: string | null; status: string; at: Stamp }
const MODEL: EntityModel<Row> = {
  typeName: 'test.row', caseInsensitiveNames: true, declared: ['name', 'status', 'at', 'secret'],
  filterable: [
    { name: 'name', type: { kind: 'string' }, get: (r) => r.name },
    { name: 'status', type: { kind: 'enum', typeName: 'test.status', members: ['active', 'inProgress', 'resolved'], caseInsensitive: true }, get: (r) => r.status },
    { name: 'at', type: { kind: 'datetime' }, get: (r) => r.at },
  ],
};
const st = (s: string): Stamp => parseStamp(s) as Stamp;
const ROWS: Row[] = [
  { name: "O'Brien", status: 'active', at: st('2024-01-01T00:00:00Z') },
  { name: 'Zoë "Z" 100% #1 & co + more', status: 'inProgress', at: st('2024-01-02T00:00:00.1234567Z') },
  { name: null, status: 'resolved', at: st('2024-01-03T00:00:00Z') },
  { name: 'alpha', status: 'active', at: st('2024-01-02T00:00:00.1234568Z') },
];
function names(filter: string): Array<string | null> {
  const p = parseFilter(filter, MODEL);
  return ROWS.filter((r) => evaluate(p, r)).map((r) => r.name);
}
function err(filter: string): string {
  try { parseFilter(filter, MODEL); } catch (e) { if (e instanceof ODataError) return e.message; throw e; }
  throw new Error(`no error for ${filter}`);
}

describe('tenant/odata: $filter parser and evaluator', () => {
  it('eq and ne on strings, enums and null', () => {
    expect(names("name eq 'alpha'")).to.deep.equal(['alpha']);
    expect(names("status ne 'active'")).to.deep.equal(['Zoë "Z" 100% #1 & co + more', null]);
    expect(names('name eq null')).to.deep.equal([null]);
    expect(names('name ne null')).to.have.length(3);
  });
  it('gt, ge, lt, le on date-times keep 100 ns precision', () => {
    expect(names('at gt 2024-01-02T00:00:00.1234567Z')).to.deep.equal([null, 'alpha']);
    expect(names('at ge 2024-01-02T00:00:00.1234567Z')).to.deep.equal(['Zoë "Z" 100% #1 & co + more', null, 'alpha']);
    expect(names('at lt 2024-01-02T00:00:00Z')).to.deep.equal(["O'Brien"]);
    expect(names('at le 2024-01-01T00:00:00Z')).to.deep.equal(["O'Brien"]);
  });
  it('gt/lt on enums compare by member order; on strings ordinally', () => {
    expect(names("status gt 'active'")).to.deep.equal(['Zoë "Z" 100% #1 & co + more', null]);
    expect(names("name lt 'P'")).to.deep.equal(["O'Brien"]);
  });
  it('literal on the left is swapped', () => {
    expect(names("'alpha' eq name")).to.deep.equal(['alpha']);
    expect(names('2024-01-02T00:00:00Z gt at')).to.deep.equal(["O'Brien"]);
  });
  it('and binds tighter than or; parentheses override', () => {
    expect(names("name eq 'alpha' or status eq 'resolved' and name eq null")).to.deep.equal([null, 'alpha']);
    expect(names("(name eq 'alpha' or status eq 'resolved') and name eq null")).to.deep.equal([null]);
    expect(names("((status eq 'active'))")).to.deep.equal(["O'Brien", 'alpha']);
  });
  it('not applies to a parenthesised predicate; not on a property is a type error', () => {
    expect(names("not (status eq 'active')")).to.deep.equal(['Zoë "Z" 100% #1 & co + more', null]);
    expect(err("not status eq 'active'")).to.match(/unary operator with an incompatible type/);
  });
  it('in with a list of literals', () => {
    expect(names("status in ('resolved','inProgress')")).to.deep.equal(['Zoë "Z" 100% #1 & co + more', null]);
    expect(names("name in ('alpha', 'O''Brien')")).to.deep.equal(["O'Brien", 'alpha']);
  });
  it("'' is a quote inside a string; other characters are literal", () => {
    expect(names("name eq 'O''Brien'")).to.deep.equal(["O'Brien"]);
    expect(names(`name eq 'Zoë "Z" 100% #1 & co + more'`)).to.deep.equal(['Zoë "Z" 100% #1 & co + more']);
    expect(err("name eq 'O'Brien'")).to.match(/^Syntax error at position \d+ in /);
    expect(err("name eq 'unterminated")).to.match(/unterminated string literal/);
  });
  it('enum values match case-insensitively, typed enum literals work, unknown ones are rejected', () => {
    expect(names("status eq 'ACTIVE'")).to.have.length(2);
    expect(names("status eq test.status'resolved'")).to.deep.equal([null]);
    expect(err("status eq 'closed'")).to.equal("The string 'closed' is not a valid enumeration type constant.");
  });
  it('date-times need Z or an offset; offsets are applied; fractions beyond 7 digits are cut', () => {
    expect(names('at lt 2024-01-01T01:00:00+01:00')).to.deep.equal([]);
    expect(names('at le 2024-01-01T01:00:00+01:00')).to.deep.equal(["O'Brien"]);
    expect(names('at eq 2024-01-02T00:00:00.123456789Z')).to.deep.equal(['Zoë "Z" 100% #1 & co + more']);
    // A raw '+' in a URL arrives as a space: "2024-01-01T01:00:00 01:00" is a syntax error, as on the service.
    expect(err('at lt 2024-01-01T01:00:00 01:00')).to.match(/^Syntax error at position 25 /);
    expect(err('at lt 2024-02-30T00:00:00Z')).to.match(/DateTimeOffset text '2024-02-30T00:00:00Z'/);
  });
  it('type mismatches, unknown and non-filterable properties, functions', () => {
    expect(err("at gt '2024-01-01'")).to.equal("A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and 'Edm.String' for operator kind 'GreaterThan'.");
    expect(err("nope eq 'x'")).to.equal("Could not find a property named 'nope' on type 'test.row'.");
    expect(err("secret eq 'x'")).to.equal("The property 'secret' cannot be used in the $filter query option.");
    expect(err("contains(name,'a')")).to.match(/^Function 'contains' is not allowed/);
    expect(err('status eq active')).to.equal("Could not find a property named 'active' on type 'test.row'.");
  });
  it('operators are lower-case keywords; junk is a syntax error with its position', () => {
    expect(err("name EQ 'x'")).to.match(/^Syntax error at position 5 in 'name EQ 'x''\.$/);
    expect(err("name eq 'x' and")).to.match(/^Syntax error/);
    expect(err("(name eq 'x'")).to.match(/^Syntax error/);
    expect(err("name eq 'x' ;")).to.equal("Syntax error at position 12 in 'name eq 'x' ;'.");
  });
});

describe('tenant/odata: query string decoding', () => {
  it('decodes + as space and percent-escapes as UTF-8, keeping & # % + inside values', () => {
    const value = "name eq 'Zoë \"Z\" 100% #1 & co + more'";
    const q = parseQueryString(`%24filter=${encodeURIComponent(value)}&$top=5`);
    expect(q.get('$filter')).to.equal(value);
    expect(q.get('$top')).to.equal('5');
    expect(parseQueryString("$filter=status+eq+'active'").get('$filter')).to.equal("status eq 'active'");
    expect(parseQueryString('$filter=at+gt+2024-01-01T00:00:00%2B01:00').get('$filter')).to.equal('at gt 2024-01-01T00:00:00+01:00');
  });
  it('rejects a bad escape and a repeated option', () => {
    expect(() => parseQueryString('$filter=100%')).to.throw(ODataError);
    expect(() => parseQueryString('$top=1&$top=2')).to.throw(/specified more than once/);
  });
});

describe('tenant/odata: $orderby and time stamps', () => {
  it('sorts on several keys, asc and desc', () => {
    const keys = parseOrderBy('status desc, at', MODEL.filterable, MODEL);
    const sorted = ROWS.slice().sort(compareBy(keys)).map((r) => r.name);
    expect(sorted).to.deep.equal([null, 'Zoë "Z" 100% #1 & co + more', "O'Brien", 'alpha']);
    expect(() => parseOrderBy('nope', MODEL.filterable, MODEL)).to.throw(/Could not find a property named 'nope'/);
  });
  it('renders 7 fractional digits and round-trips', () => {
    const s = st('2021-08-13T08:43:35.5533333Z');
    expect(isoStamp(s)).to.equal('2021-08-13T08:43:35.5533333Z');
    expect(isoStamp(st('2021-08-13T10:43:35+02:00'))).to.equal('2021-08-13T08:43:35.0000000Z');
    expect(parseStamp('2021-13-01T00:00:00Z')).to.equal(undefined);
  });
});
