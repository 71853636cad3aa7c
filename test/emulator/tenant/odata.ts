// OData query options as the Microsoft services parse them: a tokenizer and recursive-descent parser for
// $filter (OData ABNF, http://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part2-url-conventions.html and
// odata-abnf-construction-rules), the raw query-string decoding, $orderby, $top/$skip/$count.
// Error texts are those of Microsoft.OData.Core / ASP.NET OData (the stack behind both services), e.g.
// "Syntax error at position {0} in '{1}'." and "The property '{0}' cannot be used in the $filter query option.".
import { type Stamp, cmpStamp, parseStamp } from './model';

export class ODataError extends Error {
  constructor(message: string, readonly kind: 'syntax' | 'property' | 'type' | 'option' = 'syntax') { super(message); this.name = 'ODataError'; }
}

// ---------------------------------------------------------------- query string
/**
 * Splits a raw query string into options the way ASP.NET does: pairs on '&', name and value on the first
 * '=', '+' is a space (application/x-www-form-urlencoded), then percent-decoding (UTF-8). A '%' not
 * followed by two hex digits, or bytes that are not UTF-8, is an error. A repeated option is an error
 * (ODL: "Query option '$filter' was specified more than once, but it must be specified at most once.").
 */
export function parseQueryString(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1));
    const key = name.trim();
    if (key.startsWith('$') && out.has(key.toLowerCase())) {
      throw new ODataError(`Query option '${key}' was specified more than once, but it must be specified at most once.`, 'option');
    }
    out.set(key.startsWith('$') ? key.toLowerCase() : key, value);
  }
  return out;
}

export function decodeComponent(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try { return decodeURIComponent(plus); } catch { throw new ODataError(`The query string contains an invalid percent-encoding: '${s}'.`, 'option'); }
}

// ---------------------------------------------------------------- tokens
type TokKind = 'ident' | 'string' | 'datetime' | 'date' | 'number' | 'lparen' | 'rparen' | 'comma' | 'typedString' | 'end' | 'bad';
interface Token { kind: TokKind; text: string; pos: number; value?: string | Stamp | number; typeName?: string }

const DATETIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|z|[+-]\d{2}:\d{2})/;
const DATETIME_NOZONE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER_RE = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w-])/;

export function tokenize(text: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  const syntax = (pos: number): never => { throw new ODataError(`Syntax error at position ${pos} in '${text}'.`); };
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') { i++; continue; } // RWS = 1*( SP / HTAB / "%20" / "%09" ), after decoding
    if (c === '(') { toks.push({ kind: 'lparen', text: c, pos: i++ }); continue; }
    if (c === ')') { toks.push({ kind: 'rparen', text: c, pos: i++ }); continue; }
    if (c === ',') { toks.push({ kind: 'comma', text: c, pos: i++ }); continue; }
    if (c === "'") {
      // Lexing is lazy in ODL: an unterminated literal is reported only if the parser gets that far.
      const r = readString(text, i);
      if (!r) { toks.push({ kind: 'bad', text: text.slice(i), pos: i, value: `There is an unterminated string literal at position ${text.length} in '${text}'.` }); i = text.length; break; }
      toks.push({ kind: 'string', text: text.slice(i, r[1]), pos: i, value: r[0] }); i = r[1]; continue;
    }
    const rest = text.slice(i);
    if (/^\d/.test(c)) {
      let m = DATETIME_RE.exec(rest);
      if (m) {
        const stamp = parseStamp(m[0]);
        if (!stamp) throw new ODataError(`The DateTimeOffset text '${m[0]}' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.`, 'type');
        toks.push({ kind: 'datetime', text: m[0], pos: i, value: stamp }); i += m[0].length; continue;
      }
      m = DATETIME_NOZONE_RE.exec(rest);
      if (m) syntax(i + m[0].length); // a date-time needs "Z" or an offset; a raw '+' in the URL became a space
      m = DATE_RE.exec(rest);
      if (m) { toks.push({ kind: 'date', text: m[0], pos: i, value: m[0] }); i += m[0].length; continue; }
    }
    const num = NUMBER_RE.exec(rest);
    if (num && (/\d/.test(c) || c === '-')) { toks.push({ kind: 'number', text: num[0], pos: i, value: Number(num[0]) }); i += num[0].length; continue; }
    const id = /^[A-Za-z_$][A-Za-z0-9_.]*/.exec(rest);
    if (id) {
      const end = i + id[0].length;
      if (text[end] === "'" && id[0].includes('.')) { // typed enum literal: microsoft.graph.security.incidentStatus'active'
        const r = readString(text, end);
        if (!r) { toks.push({ kind: 'bad', text: text.slice(i), pos: i, value: `There is an unterminated string literal at position ${text.length} in '${text}'.` }); i = text.length; break; }
        const [v, after] = r;
        toks.push({ kind: 'typedString', text: text.slice(i, after), pos: i, value: v, typeName: id[0] }); i = after; continue;
      }
      toks.push({ kind: 'ident', text: id[0], pos: i }); i = end; continue;
    }
    syntax(i);
  }
  toks.push({ kind: 'end', text: '', pos: text.length });
  return toks;
}

/** SQUOTE *( SQUOTE-in-string / pchar-no-SQUOTE ) SQUOTE, where SQUOTE-in-string = SQUOTE SQUOTE */
function readString(text: string, start: number): [string, number] | undefined {
  let out = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) return undefined;
    const ch = text[i];
    if (ch === "'") {
      if (text[i + 1] === "'") { out += "'"; i += 2; continue; }
      return [out, i + 1];
    }
    out += ch; i++;
  }
}

// ---------------------------------------------------------------- model of an entity type
export type FieldType =
  /** caseInsensitive: values compare ignoring case (directory names such as a UPN); default ordinal */
  | { kind: 'string'; caseInsensitive?: boolean }
  | { kind: 'datetime' }
  | { kind: 'enum'; typeName: string; members: readonly string[]; caseInsensitive: boolean };

export interface Field<T> { name: string; type: FieldType; get(item: T): string | Stamp | null }

export interface EntityModel<T> {
  /** e.g. "microsoft.graph.security.incident" */
  typeName: string;
  /** fields usable in $filter, by name */
  filterable: Field<T>[];
  /** every declared property name (a declared but not filterable one gets the "cannot be used" error) */
  declared: string[];
  /** Graph resolves property names case-insensitively; the legacy API is treated as case-sensitive */
  caseInsensitiveNames: boolean;
}

// ---------------------------------------------------------------- AST
export type Literal =
  | { t: 'null' } | { t: 'string'; v: string } | { t: 'datetime'; v: Stamp } | { t: 'date'; v: string }
  | { t: 'number'; v: number } | { t: 'bool'; v: boolean } | { t: 'enum'; v: string; typeName: string };
type Operand<T> = { k: 'prop'; field: Field<T> } | { k: 'lit'; lit: Literal; pos: number };
export type Pred<T> =
  | { k: 'and' | 'or'; l: Pred<T>; r: Pred<T> }
  | { k: 'not'; e: Pred<T> }
  | { k: 'cmp'; op: CmpOp; field: Field<T>; value: Value }
  | { k: 'in'; field: Field<T>; values: Value[] }
  | { k: 'const'; v: boolean };
type CmpOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
/** A literal bound to a field's type: string, stamp, or an enum member's canonical name. */
type Value = string | Stamp | null;

const OP_KIND: Record<CmpOp, string> = { eq: 'Equal', ne: 'NotEqual', gt: 'GreaterThan', ge: 'GreaterThanOrEqual', lt: 'LessThan', le: 'LessThanOrEqual' };
const SWAP: Record<CmpOp, CmpOp> = { eq: 'eq', ne: 'ne', gt: 'lt', ge: 'le', lt: 'gt', le: 'ge' };
// (ODL's lexer positions are 0-based offsets into the decoded text.)
const ODATA_FUNCTIONS = new Set(['contains', 'startswith', 'endswith', 'length', 'indexof', 'substring', 'tolower', 'toupper', 'trim', 'concat',
  'year', 'month', 'day', 'hour', 'minute', 'second', 'date', 'time', 'now', 'round', 'floor', 'ceiling', 'cast', 'isof', 'any', 'all', 'matchespattern']);

function edmName(t: FieldType): string { return t.kind === 'string' ? 'Edm.String' : t.kind === 'datetime' ? 'Edm.DateTimeOffset' : t.typeName; }
function litEdm(l: Literal): string {
  switch (l.t) {
    case 'string': return 'Edm.String'; case 'datetime': return 'Edm.DateTimeOffset'; case 'date': return 'Edm.Date';
    case 'number': return Number.isInteger(l.v) ? 'Edm.Int32' : 'Edm.Decimal'; case 'bool': return 'Edm.Boolean';
    case 'enum': return l.typeName; case 'null': return 'null';
  }
}

/** Parses a $filter text against a model. Throws ODataError with Microsoft's message. */
export function parseFilter<T>(text: string, model: EntityModel<T>): Pred<T> {
  const toks = tokenize(text);
  let p = 0;
  const peek = (): Token => toks[p];
  const syntax = (tok: Token): never => {
    if (tok.kind === 'bad') throw new ODataError(tok.value as string);
    throw new ODataError(`Syntax error at position ${tok.pos} in '${text}'.`);
  };
  const isWord = (tok: Token, w: string): boolean => tok.kind === 'ident' && tok.text === w; // operators are case-sensitive in OData

  const lookup = (name: string): Field<T> => {
    const eqName = (a: string): boolean => (model.caseInsensitiveNames ? a.toLowerCase() === name.toLowerCase() : a === name);
    const f = model.filterable.find((x) => eqName(x.name));
    if (f) return f;
    const declared = model.declared.find(eqName);
    if (declared) throw new ODataError(`The property '${declared}' cannot be used in the $filter query option.`, 'property');
    throw new ODataError(`Could not find a property named '${name}' on type '${model.typeName}'.`, 'property');
  };

  type Node = { k: 'pred'; pred: Pred<T> } | Operand<T>;

  const parseOr = (): Node => {
    let l = parseAnd();
    while (isWord(peek(), 'or')) { p++; const r = parseAnd(); l = { k: 'pred', pred: { k: 'or', l: asPred(l, 'Or'), r: asPred(r, 'Or') } }; }
    return l;
  };
  const parseAnd = (): Node => {
    let l = parseCmp();
    while (isWord(peek(), 'and')) { p++; const r = parseCmp(); l = { k: 'pred', pred: { k: 'and', l: asPred(l, 'And'), r: asPred(r, 'And') } }; }
    return l;
  };
  const parseCmp = (): Node => {
    const l = parseUnary();
    const t = peek();
    if (t.kind === 'ident' && t.text in OP_KIND) {
      p++;
      const r = parseUnary();
      return { k: 'pred', pred: bindCmp(t.text as CmpOp, l, r) };
    }
    if (isWord(t, 'in')) {
      p++;
      if (l.k !== 'prop') throw new ODataError(`The left operand of the 'in' operator must be a property in '${text}'.`, 'type');
      if (peek().kind !== 'lparen') syntax(peek());
      p++;
      const values: Value[] = [];
      for (;;) {
        const lt = peek();
        const lit = readLiteral();
        if (!lit) syntax(lt);
        values.push(bindValue(l.field, lit as Literal, 'Equal'));
        if (peek().kind === 'comma') { p++; continue; }
        if (peek().kind === 'rparen') { p++; break; }
        syntax(peek());
      }
      return { k: 'pred', pred: { k: 'in', field: l.field, values } };
    }
    if (['add', 'sub', 'mul', 'div', 'mod', 'has'].includes(t.text) && t.kind === 'ident') {
      throw new ODataError(`The operator '${t.text}' is not allowed. To allow it, set the 'AllowedArithmeticOperators' property on EnableQueryAttribute or QueryValidationSettings.`, 'option');
    }
    return l;
  };
  const parseUnary = (): Node => {
    if (isWord(peek(), 'not')) {
      p++;
      const e = parseUnary();
      if (e.k !== 'pred') {
        const ty = e.k === 'prop' ? edmName(e.field.type) : litEdm(e.lit);
        throw new ODataError(`A unary operator with an incompatible type was detected. Found operand type '${ty}' for operator kind 'Not'.`, 'type');
      }
      return { k: 'pred', pred: { k: 'not', e: e.pred } };
    }
    return parsePrimary();
  };
  const readLiteral = (): Literal | undefined => {
    const t = peek();
    switch (t.kind) {
      case 'string': p++; return { t: 'string', v: t.value as string };
      case 'typedString': p++; return { t: 'enum', v: t.value as string, typeName: t.typeName as string };
      case 'datetime': p++; return { t: 'datetime', v: t.value as Stamp };
      case 'date': p++; return { t: 'date', v: t.value as string };
      case 'number': p++; return { t: 'number', v: t.value as number };
      case 'ident':
        if (t.text === 'null') { p++; return { t: 'null' }; }
        if (t.text === 'true' || t.text === 'false') { p++; return { t: 'bool', v: t.text === 'true' }; }
        return undefined;
      default: return undefined;
    }
  };
  const parsePrimary = (): Node => {
    const t = peek();
    if (t.kind === 'lparen') {
      p++;
      const e = parseOr();
      if (peek().kind !== 'rparen') syntax(peek());
      p++;
      return e;
    }
    const lit = readLiteral();
    if (lit) return { k: 'lit', lit, pos: t.pos };
    if (t.kind === 'ident') {
      if (['and', 'or', 'eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in'].includes(t.text)) syntax(t);
      p++;
      if (peek().kind === 'lparen') {
        if (ODATA_FUNCTIONS.has(t.text)) {
          throw new ODataError(`Function '${t.text}' is not allowed. To allow it, set the 'AllowedFunctions' property on EnableQueryAttribute or QueryValidationSettings.`, 'option');
        }
        throw new ODataError(`An unknown function with name '${t.text}' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.`, 'option');
      }
      if (t.text.includes('/')) throw new ODataError(`Could not find a property named '${t.text}' on type '${model.typeName}'.`, 'property');
      return { k: 'prop', field: lookup(t.text) };
    }
    return syntax(t);
  };
  const asPred = (n: Node, kind: string): Pred<T> => {
    if (n.k === 'pred') return n.pred;
    if (n.k === 'lit' && n.lit.t === 'bool') return { k: 'const', v: n.lit.v };
    const ty = n.k === 'prop' ? edmName(n.field.type) : litEdm(n.lit);
    throw new ODataError(`A binary operator with incompatible types was detected. Found operand types '${ty}' and 'Edm.Boolean' for operator kind '${kind}'.`, 'type');
  };
  const bindCmp = (op: CmpOp, l: Node, r: Node): Pred<T> => {
    if (l.k === 'prop' && r.k === 'lit') return { k: 'cmp', op, field: l.field, value: bindValue(l.field, r.lit, OP_KIND[op]) };
    if (l.k === 'lit' && r.k === 'prop') return { k: 'cmp', op: SWAP[op], field: r.field, value: bindValue(r.field, l.lit, OP_KIND[op]) };
    if (l.k === 'prop' && r.k === 'prop') throw new ODataError(`Comparing two properties ('${l.field.name}' ${op} '${r.field.name}') is not supported by this service.`, 'type');
    const lt = l.k === 'pred' ? 'Edm.Boolean' : l.k === 'lit' ? litEdm(l.lit) : edmName(l.field.type);
    const rt = r.k === 'pred' ? 'Edm.Boolean' : r.k === 'lit' ? litEdm(r.lit) : edmName(r.field.type);
    throw new ODataError(`A binary operator with incompatible types was detected. Found operand types '${lt}' and '${rt}' for operator kind '${OP_KIND[op]}'.`, 'type');
  };
  const bindValue = (f: Field<T>, lit: Literal, opKind: string): Value => {
    if (lit.t === 'null') return null;
    const incompatible = (): never => {
      throw new ODataError(`A binary operator with incompatible types was detected. Found operand types '${edmName(f.type)}' and '${litEdm(lit)}' for operator kind '${opKind}'.`, 'type');
    };
    switch (f.type.kind) {
      case 'string': return lit.t === 'string' ? lit.v : incompatible();
      case 'datetime': return lit.t === 'datetime' ? lit.v : incompatible();
      case 'enum': {
        const ft = f.type;
        if (lit.t === 'enum' && lit.typeName.toLowerCase() !== ft.typeName.toLowerCase()) incompatible();
        if (lit.t !== 'string' && lit.t !== 'enum') return incompatible();
        const m = ft.members.find((x) => (ft.caseInsensitive ? x.toLowerCase() === lit.v.toLowerCase() : x === lit.v));
        if (m === undefined) throw new ODataError(`The string '${lit.v}' is not a valid enumeration type constant.`, 'type');
        return m;
      }
    }
  };

  const root = parseOr();
  if (peek().kind !== 'end') syntax(peek());
  return asPred(root, 'And');
}

// ---------------------------------------------------------------- evaluation
function cmpValues(a: string | Stamp, b: string | Stamp, type: FieldType): number {
  if (type.kind === 'datetime') return cmpStamp(a as Stamp, b as Stamp);
  if (type.kind === 'enum') return type.members.indexOf(a as string) - type.members.indexOf(b as string); // by underlying value
  const ci = type.kind === 'string' && type.caseInsensitive === true;
  const x = ci ? (a as string).toLowerCase() : a as string, y = ci ? (b as string).toLowerCase() : b as string;
  return x < y ? -1 : x > y ? 1 : 0; // ordinal
}

export function evaluate<T>(pred: Pred<T>, item: T): boolean {
  switch (pred.k) {
    case 'const': return pred.v;
    case 'and': return evaluate(pred.l, item) && evaluate(pred.r, item);
    case 'or': return evaluate(pred.l, item) || evaluate(pred.r, item);
    case 'not': return !evaluate(pred.e, item);
    case 'in': { const v = pred.field.get(item); return pred.values.some((x) => eqValue(v, x, pred.field.type)); }
    case 'cmp': {
      const v = pred.field.get(item);
      if (pred.op === 'eq') return eqValue(v, pred.value, pred.field.type);
      if (pred.op === 'ne') return !eqValue(v, pred.value, pred.field.type);
      if (v === null || pred.value === null) return false; // null is neither greater nor less
      const c = cmpValues(v, pred.value, pred.field.type);
      return pred.op === 'gt' ? c > 0 : pred.op === 'ge' ? c >= 0 : pred.op === 'lt' ? c < 0 : c <= 0;
    }
  }
}
function eqValue(a: string | Stamp | null, b: Value, type: FieldType): boolean {
  if (a === null || b === null) return a === b;
  return cmpValues(a, b, type) === 0;
}

// ---------------------------------------------------------------- $orderby, $top, $skip, $count
export interface OrderKey<T> { field: Field<T>; desc: boolean }

export function parseOrderBy<T>(text: string, sortable: Field<T>[], model: EntityModel<T>): OrderKey<T>[] {
  const toks = tokenize(text);
  const keys: OrderKey<T>[] = [];
  let p = 0;
  for (;;) {
    const t = toks[p];
    if (t.kind !== 'ident') throw new ODataError(t.kind === 'bad' ? (t.value as string) : `Syntax error at position ${t.pos} in '${text}'.`);
    const f = sortable.find((x) => (model.caseInsensitiveNames ? x.name.toLowerCase() === t.text.toLowerCase() : x.name === t.text));
    if (!f) {
      const declared = model.declared.find((x) => x.toLowerCase() === t.text.toLowerCase());
      if (declared) throw new ODataError(`The property '${declared}' cannot be used in the $orderby query option.`, 'property');
      throw new ODataError(`Could not find a property named '${t.text}' on type '${model.typeName}'.`, 'property');
    }
    p++;
    let desc = false;
    if (toks[p].kind === 'ident' && (toks[p].text === 'asc' || toks[p].text === 'desc')) { desc = toks[p].text === 'desc'; p++; }
    keys.push({ field: f, desc });
    if (toks[p].kind === 'comma') { p++; continue; }
    if (toks[p].kind === 'end') break;
    throw new ODataError(`Syntax error at position ${toks[p].pos} in '${text}'.`);
  }
  return keys;
}

export function compareBy<T>(keys: OrderKey<T>[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const k of keys) {
      const x = k.field.get(a), y = k.field.get(b);
      let c: number;
      if (x === null || y === null) c = x === y ? 0 : x === null ? -1 : 1; // nulls sort first ascending
      else c = cmpValues(x, y, k.field.type);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  };
}

/** ODL: "Invalid value 'x' for $top query option found. The $top query option requires a non-negative integer value." */
export function parseNonNegative(name: '$top' | '$skip', text: string): number {
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text.trim()))) {
    throw new ODataError(`Invalid value '${text}' for ${name} query option found. The ${name} query option requires a non-negative integer value.`, 'option');
  }
  return Number(text.trim());
}

export function parseCount(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw new ODataError(`'${text}' is not a valid count option.`, 'option');
}
