// The OData $filter of the Defender for Endpoint list APIs, as far as Microsoft documents it:
//   - machines: "$filter query is supported on: computerDnsName, id, version, deviceValue, aadDeviceId, machineTags,
//     lastSeen, exposureLevel, onboardingStatus, lastIpAddress, healthStatus, osPlatform, riskScore and rbacGroupId"
//     (defender-endpoint/api/get-machines.md, reference §2.4);
//   - machine actions: "id, status, machineId, type, requestor, and creationDateTimeUtc" (get-machineactions-collection.md).
// The OData samples page (exposed-apis-odata-samples.md) shows `eq`/`ne`/`gt` comparisons joined by `and`, date-times
// unquoted (`lastSeen gt 2018-08-01Z`, `lastUpdateTime ge 2019-11-22T00:00:00Z`) and `startswith(computerDnsName,'mymachine')`;
// it writes the property names in either case (`ComputerDnsName`, `computerDnsName`), so names are read case-insensitively.
// Modelled beyond the pages (standard OData v4): `or`, `not`, parentheses, `null`, `lt`/`le`/`ge`, and
// `machineTags/any(t: t eq 'x')` for the one collection property. Any other function or property is a 400 ODataError.
// Not documented, chosen here: string comparisons are case-insensitive (DNS names are not case-significant, and
// playbooks query with the host name as an alert spells it); date-times compare to the millisecond.

export class FilterError extends Error {
  constructor(message: string) { super(message); this.name = 'FilterError'; }
}

export type FieldKind = 'string' | 'datetime' | 'number' | 'collection';
export interface FilterField<T> { name: string; kind: FieldKind; get(item: T): string | number | Date | string[] | null }
export interface FilterModel<T> { typeName: string; fields: FilterField<T>[] }

type Lit = { kind: 'string'; v: string } | { kind: 'number'; v: number } | { kind: 'datetime'; v: Date } | { kind: 'null' } | { kind: 'bool'; v: boolean };
export type Pred<T> = (item: T) => boolean;

interface Tok { t: 'ident' | 'string' | 'number' | 'datetime' | '(' | ')' | ',' | ':' | '/' | 'end'; text: string; pos: number; v?: string | number | Date }

const DT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?)?(?:Z|[+-]\d{2}:\d{2})/;

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') { i++; continue; }
    if ('(),:/'.includes(c)) { out.push({ t: c as Tok['t'], text: c, pos: i }); i++; continue; }
    if (c === "'") {
      let s = ''; let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new FilterError(`There is an unterminated string literal at position ${text.length} in '${text}'.`);
        if (text[j] === "'") { if (text[j + 1] === "'") { s += "'"; j += 2; continue; } break; }
        s += text[j++];
      }
      out.push({ t: 'string', text: text.slice(i, j + 1), pos: i, v: s }); i = j + 1; continue;
    }
    const rest = text.slice(i);
    const dt = DT.exec(rest);
    if (dt) {
      const raw = dt[0];
      // a bare date with a zone ("2018-08-01Z", the samples page) is midnight of that day
      const iso = /^\d{4}-\d{2}-\d{2}(Z|[+-])/.test(raw) ? `${raw.slice(0, 10)}T00:00:00${raw.slice(10)}` : raw;
      const d = new Date(iso);
      if (Number.isNaN(d.getTime())) throw new FilterError(`The DateTimeOffset text '${raw}' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.`);
      out.push({ t: 'datetime', text: raw, pos: i, v: d }); i += raw.length; continue;
    }
    const num = /^-?\d+(?:\.\d+)?(?![\w.:-])/.exec(rest);
    if (num) { out.push({ t: 'number', text: num[0], pos: i, v: Number(num[0]) }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (id) { out.push({ t: 'ident', text: id[0], pos: i }); i += id[0].length; continue; }
    throw new FilterError(`Syntax error at position ${i} in '${text}'.`);
  }
  out.push({ t: 'end', text: '', pos: text.length });
  return out;
}

const OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
type Op = (typeof OPS)[number];

function cmp(op: Op, a: number, b: number): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'gt': return a > b;
    case 'ge': return a >= b;
    case 'lt': return a < b;
    default: return a <= b;
  }
}

/** Parses `text` against `model`; throws FilterError (the service's 400 ODataError) for anything it does not support. */
export function parseFilter<T>(text: string, model: FilterModel<T>): Pred<T> {
  const toks = tokenize(text);
  let k = 0;
  const peek = (): Tok => toks[k];
  const next = (): Tok => toks[k++];
  const syntax = (tok: Tok): never => { throw new FilterError(`Syntax error at position ${tok.pos} in '${text}'.`); };
  const expect = (t: Tok['t']): Tok => { const tok = next(); if (tok.t !== t) syntax(tok); return tok; };
  const isWord = (tok: Tok, w: string): boolean => tok.t === 'ident' && tok.text.toLowerCase() === w;
  const field = (tok: Tok): FilterField<T> => {
    const f = model.fields.find((x) => x.name.toLowerCase() === tok.text.toLowerCase());
    if (!f) throw new FilterError(`The query specified in the URI is not valid. The property '${tok.text}' cannot be used in the $filter query option (type '${model.typeName}').`);
    return f;
  };
  const literal = (): Lit => {
    const tok = next();
    if (tok.t === 'string') return { kind: 'string', v: tok.v as string };
    if (tok.t === 'number') return { kind: 'number', v: tok.v as number };
    if (tok.t === 'datetime') return { kind: 'datetime', v: tok.v as Date };
    if (isWord(tok, 'null')) return { kind: 'null' };
    if (isWord(tok, 'true') || isWord(tok, 'false')) return { kind: 'bool', v: tok.text.toLowerCase() === 'true' };
    return syntax(tok);
  };
  const typeError = (f: FilterField<T>, op: string, lit: Lit): never => {
    throw new FilterError(`The query specified in the URI is not valid. A binary operator with incompatible types was detected. Found operand types for the property '${f.name}' and a ${lit.kind} literal for the operator kind '${op}'.`);
  };

  const comparison = (f: FilterField<T>, op: Op, lit: Lit): Pred<T> => {
    if (lit.kind === 'null') {
      if (op !== 'eq' && op !== 'ne') typeError(f, op, lit);
      return (item) => ((f.get(item) === null) === (op === 'eq'));
    }
    if (f.kind === 'collection') typeError(f, op, lit);
    if (f.kind === 'string') {
      if (lit.kind !== 'string') typeError(f, op, lit);
      const want = (lit as { v: string }).v.toLowerCase();
      return (item) => {
        const v = f.get(item);
        if (v === null) return op === 'ne';
        const s = String(v).toLowerCase();
        return cmp(op, s < want ? -1 : s > want ? 1 : 0, 0);
      };
    }
    if (f.kind === 'datetime') {
      if (lit.kind !== 'datetime') typeError(f, op, lit);
      const want = (lit as { v: Date }).v.getTime();
      return (item) => { const v = f.get(item); return v instanceof Date ? cmp(op, v.getTime(), want) : op === 'ne'; };
    }
    if (lit.kind !== 'number') typeError(f, op, lit);
    const want = (lit as { v: number }).v;
    return (item) => { const v = f.get(item); return typeof v === 'number' ? cmp(op, v, want) : op === 'ne'; };
  };

  const primary = (): Pred<T> => {
    const tok = next();
    if (tok.t === '(') { const p = or(); expect(')'); return p; }
    if (tok.t !== 'ident') return syntax(tok);
    if (isWord(tok, 'not')) { const p = primary(); return (item) => !p(item); }
    if (peek().t === '(') {
      const fn = tok.text.toLowerCase();
      if (fn !== 'startswith') throw new FilterError(`The query specified in the URI is not valid. An unknown function with name '${tok.text}' was found, or it is not supported on this API.`);
      expect('(');
      const f = field(expect('ident'));
      expect(',');
      const lit = literal();
      expect(')');
      if (f.kind !== 'string' || lit.kind !== 'string') typeError(f, 'startswith', lit);
      const prefix = (lit as { v: string }).v.toLowerCase();
      return (item) => { const v = f.get(item); return typeof v === 'string' && v.toLowerCase().startsWith(prefix); };
    }
    const f = field(tok);
    if (peek().t === '/') {
      next();
      const fn = expect('ident');
      if (f.kind !== 'collection' || fn.text.toLowerCase() !== 'any') syntax(fn);
      expect('(');
      const v = expect('ident');
      expect(':');
      const v2 = expect('ident');
      if (v2.text !== v.text) throw new FilterError(`The query specified in the URI is not valid. Could not find a property named '${v2.text}'.`);
      const op = expect('ident');
      if (op.text !== 'eq') throw new FilterError(`The query specified in the URI is not valid. Only 'eq' is supported inside ${f.name}/any().`);
      const lit = literal();
      expect(')');
      if (lit.kind !== 'string') typeError(f, 'eq', lit);
      const want = (lit as { v: string }).v.toLowerCase();
      return (item) => { const list = f.get(item); return Array.isArray(list) && list.some((x) => x.toLowerCase() === want); };
    }
    const opTok = next();
    const op = OPS.find((o) => opTok.t === 'ident' && opTok.text === o);
    if (!op) return syntax(opTok);
    return comparison(f, op, literal());
  };
  const and = (): Pred<T> => {
    let p = primary();
    while (isWord(peek(), 'and')) { next(); const a = p; const b = primary(); p = (item) => a(item) && b(item); }
    return p;
  };
  const or = (): Pred<T> => {
    let p = and();
    while (isWord(peek(), 'or')) { next(); const a = p; const b = and(); p = (item) => a(item) || b(item); }
    return p;
  };
  if (peek().t === 'end') throw new FilterError(`The query specified in the URI is not valid. The $filter query option is empty.`);
  const pred = or();
  if (peek().t !== 'end') syntax(peek());
  return pred;
}
