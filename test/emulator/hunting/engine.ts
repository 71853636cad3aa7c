// Evaluates a query that Microsoft's Kusto parser has parsed and bound (see kusto.ts) over the emulator's
// tables. The syntax tree is walked once: each tabular operator turns a Relation into another, and each
// scalar expression is compiled into a closure over row indices, so filtering 100,000 rows is a plain loop.
// Relations are lazy: a column is a getter over row positions, and rows are materialised only at the end.
import { HuntingError } from './api';
import { child, KDiagnostic, KElement, kindName, kusto, listItems, tokensOf } from './kusto';
import { ColumnDef, KustoType } from './schema';
import { addTicks, isoFromText, isoFromMs } from './time';

export interface Column { name: string; type: KustoType; get: (i: number) => unknown }
export interface Relation { n: number; cols: Column[] }

/** Columnar storage of one table; a column never written to is undefined and reads as its type's empty value. */
export interface TableData { name: string; columns: ColumnDef[]; data: Array<unknown[] | undefined>; length: number }

export interface EvalContext {
  tables: Map<string, TableData>;
  /** the data window, canonical datetimes, inclusive */
  from: string;
  to: string;
  /** the service clock: ago() and now() */
  nowMs: number;
  rowsScanned: number;
}

type Fn = (i: number) => unknown;
interface Scalar { type: KustoType | 'null'; fn: Fn; isConst: boolean; value?: unknown }

const SUPPORTED_OPERATORS = 'where, project, extend, sort by / order by, top, take / limit, count, summarize, union';

export function unsupported(what: string): HuntingError {
  return new HuntingError(400, 'BadRequest',
    `The Defender emulator does not support ${what}. This is a limit of the emulator, not an error in the query; ` +
    `the emulator supports: ${SUPPORTED_OPERATORS}.`);
}

function badQuery(message: string): HuntingError { return new HuntingError(400, 'BadRequest', message); }

function text(e: KElement | null): string {
  return tokensOf(e).map((t, i) => (i === 0 ? '' : (t.Text && /^\s/.test(String(t['Trivia'] ?? '')) ? ' ' : '')) + (t.Text ?? '')).join('');
}

/** The identifier a NameReference / NameDeclaration / TokenName / BracketedName stands for. */
function nameOf(e: KElement | null): string {
  if (!e) return '';
  if (e.IsToken) return e.Text ?? '';
  const k = kindName(e);
  if (k === 'NameReference' || k === 'NameDeclaration') return nameOf(child(e, 'Name'));
  if (k === 'TokenName') return child(e, 'Name')?.Text ?? '';
  if (k === 'BracketedName') {
    const tok = child(e, 'Name');
    return tok && typeof tok.Value === 'string' ? tok.Value : '';
  }
  return text(e);
}

/** The keyword(s) an operator starts with, e.g. "join", "mv-expand", "project-away". */
function operatorKeyword(op: KElement): string {
  const toks = tokensOf(op);
  if (toks.length === 0) return kindName(op);
  // mv-expand and project-away are single keyword tokens; "order by" and "sort by" show as order/sort.
  return toks[0].Text ?? kindName(op);
}

function constant(type: KustoType | 'null', value: unknown): Scalar {
  return { type, fn: () => value, isConst: true, value };
}

// ---------------------------------------------------------------------------------------------------------
// Literals: every value is taken from the parser's token (Token.Value), not from hand-rolled unescaping.

function literal(e: KElement): Scalar {
  const k = kindName(e);
  const tok = child(e, 'Token');
  switch (k) {
    case 'StringLiteralExpression':
      return constant('string', stringTokenValue(tok));
    case 'CompoundStringLiteralExpression': {
      // adjacent literals concatenate ("a" 'b' @"c")
      const parts: string[] = [];
      const list = child(e, 'Tokens');
      if (list) for (let i = 0; i < list.ChildCount; i++) { const t = list.GetChild(i); if (t) parts.push(stringTokenValue(t)); }
      return constant('string', parts.join(''));
    }
    case 'LongLiteralExpression':
      return constant('long', numberValue(tok));
    case 'IntLiteralExpression':
      return constant('int', numberValue(tok));
    case 'RealLiteralExpression':
      return constant('real', numberValue(tok));
    case 'BooleanLiteralExpression':
      return constant('bool', tok?.Value === null ? null : (tok?.ValueText ?? '').toLowerCase() === 'true');
    case 'TimespanLiteralExpression': {
      const v = tok?.Value as { ticks?: { toNumber(): number } } | null | undefined;
      return constant('timespan', v && v.ticks ? v.ticks.toNumber() : null);
    }
    case 'DateTimeLiteralExpression': {
      if (tok?.Value === null || tok?.Value === undefined) return constant('datetime', null);
      // The parser's System.DateTime keeps only milliseconds (Bridge.NET maps it to a JS Date), so the
      // 7-digit value is read from the literal's text (the parser's ValueText) when it is ISO 8601,
      // and from the parser's value otherwise (RFC 822 / RFC 850 forms).
      const iso = isoFromText(tok.ValueText ?? '');
      if (iso) return constant('datetime', iso);
      const boxed = tok.Value as { v?: unknown };
      const date = boxed.v instanceof Date ? boxed.v : tok.Value instanceof Date ? tok.Value : undefined;
      if (!date) throw unsupported(`the datetime literal ${tok.Text}`);
      return constant('datetime', isoFromMs(date.getTime()));
    }
    default:
      throw unsupported(`literals of kind ${k} (${text(e)})`);
  }
}

function stringTokenValue(tok: KElement | null): string {
  if (!tok) return '';
  if (typeof tok.Value === 'string') return tok.Value;
  return kusto().KustoFacts.GetStringLiteralValue(tok.Text ?? '');
}

function numberValue(tok: KElement | null): number | null {
  const v = tok?.Value as { toNumber?: () => number; valueOf(): unknown } | null | undefined;
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v.toNumber === 'function') return v.toNumber();
  const n = Number(v.valueOf());
  return Number.isNaN(n) ? Number(tok?.ValueText) : n;
}

// ---------------------------------------------------------------------------------------------------------
// String predicates, with Kusto's case rules (dataexplorer-docs datatypes-string-operators.md;
// reference §5.2): ==, in, *_cs are case-sensitive; =~, in~, has, contains, startswith, endswith are not.

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** `has`: the needle is a whole term of the text. Terms are maximal runs of ASCII alphanumerics; a needle
 * with other characters in it must sit in the text on term boundaries (e.g. "1.2.3.4", "C:\temp"). */
export function hasTerm(hay: string, needle: string): boolean {
  if (needle.length === 0) return true;
  const n0 = isAlnum(needle.charCodeAt(0));
  const n1 = isAlnum(needle.charCodeAt(needle.length - 1));
  let from = 0;
  for (;;) {
    const at = hay.indexOf(needle, from);
    if (at < 0) return false;
    const before = at === 0 || !n0 || !isAlnum(hay.charCodeAt(at - 1));
    const end = at + needle.length;
    const after = end >= hay.length || !n1 || !isAlnum(hay.charCodeAt(end));
    if (before && after) return true;
    from = at + 1;
  }
}

type StrPred = (hay: string, needle: string) => boolean;
const lower = (s: string) => s.toLowerCase();

/** operator text -> [predicate over (text, needle), case-insensitive?, negated?] */
const STRING_OPERATORS: Record<string, [StrPred, boolean, boolean]> = {
  '=~': [(h, n) => h === n, true, false],
  '!~': [(h, n) => h === n, true, true],
  'has': [hasTerm, true, false],
  '!has': [hasTerm, true, true],
  'has_cs': [hasTerm, false, false],
  '!has_cs': [hasTerm, false, true],
  'contains': [(h, n) => h.includes(n), true, false],
  '!contains': [(h, n) => h.includes(n), true, true],
  'contains_cs': [(h, n) => h.includes(n), false, false],
  '!contains_cs': [(h, n) => h.includes(n), false, true],
  'startswith': [(h, n) => h.startsWith(n), true, false],
  '!startswith': [(h, n) => h.startsWith(n), true, true],
  'startswith_cs': [(h, n) => h.startsWith(n), false, false],
  '!startswith_cs': [(h, n) => h.startsWith(n), false, true],
  'endswith': [(h, n) => h.endsWith(n), true, false],
  '!endswith': [(h, n) => h.endsWith(n), true, true],
  'endswith_cs': [(h, n) => h.endsWith(n), false, false],
  '!endswith_cs': [(h, n) => h.endsWith(n), false, true],
};

/** A value as Kusto's string operators see it: strings as they are, others in their text form. */
function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** -1 / 0 / 1, or null when either side is null (Kusto: a comparison with null is null, so false in where). */
function compare(a: unknown, b: unknown): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const x = typeof a === 'string' ? a : String(a);
  const y = typeof b === 'string' ? b : String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------
// Scalar expressions

function findColumn(rel: Relation, name: string): Column | undefined {
  for (const c of rel.cols) if (c.name === name) return c;
  return undefined;
}

function compileScalar(e: KElement, rel: Relation, ctx: EvalContext): Scalar {
  const k = kindName(e);
  switch (k) {
    case 'NameReference': {
      const name = nameOf(e);
      const col = findColumn(rel, name);
      if (!col) throw badQuery(`Failed to resolve scalar expression named '${name}'`);
      return { type: col.type, fn: col.get, isConst: false };
    }
    case 'ParenthesizedExpression':
      return compileScalar(child(e, 'Expression')!, rel, ctx);
    case 'StringLiteralExpression': case 'CompoundStringLiteralExpression': case 'LongLiteralExpression':
    case 'IntLiteralExpression': case 'RealLiteralExpression': case 'BooleanLiteralExpression':
    case 'TimespanLiteralExpression': case 'DateTimeLiteralExpression':
      return literal(e);
    case 'UnaryMinusExpression': case 'UnaryPlusExpression': {
      const x = compileScalar(child(e, 'Expression')!, rel, ctx);
      if (x.type !== 'long' && x.type !== 'int' && x.type !== 'real' && x.type !== 'timespan') throw unsupported(`unary minus on ${x.type}`);
      const sign = k === 'UnaryMinusExpression' ? -1 : 1;
      return fold({ type: x.type, fn: (i) => { const v = x.fn(i); return v === null ? null : sign * (v as number); }, isConst: x.isConst });
    }
    case 'FunctionCallExpression':
      return compileCall(e, rel, ctx);
    case 'BetweenExpression': case 'NotBetweenExpression':
      return compileBetween(e, rel, ctx, k === 'NotBetweenExpression');
    default:
      break;
  }
  const op = child(e, 'Operator');
  if (op && op.IsToken && child(e, 'Left') && child(e, 'Right')) return compileBinary(e, (op.Text ?? '').toLowerCase(), rel, ctx);
  throw unsupported(`the expression '${text(e)}' (${k})`);
}

/** Evaluates a constant expression once. */
function fold(s: Scalar): Scalar {
  if (!s.isConst) return s;
  const v = s.fn(0);
  return constant(s.type, v);
}

function compileBinary(e: KElement, op: string, rel: Relation, ctx: EvalContext): Scalar {
  const leftNode = child(e, 'Left')!;
  const rightNode = child(e, 'Right')!;
  if (op === 'and' || op === 'or') {
    const a = compileScalar(leftNode, rel, ctx);
    const b = compileScalar(rightNode, rel, ctx);
    const fa = a.fn; const fb = b.fn;
    // Kusto's three-valued logic: null and false = false, null or true = true, otherwise null.
    const fn: Fn = op === 'and'
      ? (i) => { const x = fa(i); if (x === false) return false; const y = fb(i); if (y === false) return false; return x === null || y === null ? null : true; }
      : (i) => { const x = fa(i); if (x === true) return true; const y = fb(i); if (y === true) return true; return x === null || y === null ? null : false; };
    return fold({ type: 'bool', fn, isConst: a.isConst && b.isConst });
  }
  if (op === 'in' || op === '!in' || op === 'in~' || op === '!in~') return compileIn(e, op, rel, ctx);

  const a = compileScalar(leftNode, rel, ctx);
  const b = compileScalar(rightNode, rel, ctx);
  const fa = a.fn; const fb = b.fn;
  const isConst = a.isConst && b.isConst;

  const strOp = STRING_OPERATORS[op];
  if (strOp) {
    const [pred, ci, neg] = strOp;
    if (b.isConst) {
      const raw = asText(b.value);
      if (raw === null) return constant('bool', null);
      const needle = ci ? lower(raw) : raw;
      return fold({ type: 'bool', isConst, fn: (i) => {
        const h = asText(fa(i));
        if (h === null) return null;
        const r = pred(ci ? lower(h) : h, needle);
        return neg ? !r : r;
      } });
    }
    return fold({ type: 'bool', isConst, fn: (i) => {
      const h = asText(fa(i)); const n = asText(fb(i));
      if (h === null || n === null) return null;
      const r = ci ? pred(lower(h), lower(n)) : pred(h, n);
      return neg ? !r : r;
    } });
  }

  switch (op) {
    case '==': case '!=': {
      const neg = op === '!=';
      if (b.isConst) {
        const v = b.value;
        if (v === null) return constant('bool', null);
        return fold({ type: 'bool', isConst, fn: (i) => { const x = fa(i); if (x === null || x === undefined) return null; return neg ? x !== v : x === v; } });
      }
      return fold({ type: 'bool', isConst, fn: (i) => { const c = compare(fa(i), fb(i)); return c === null ? null : neg ? c !== 0 : c === 0; } });
    }
    case '<': return fold({ type: 'bool', isConst, fn: (i) => { const c = compare(fa(i), fb(i)); return c === null ? null : c < 0; } });
    case '<=': return fold({ type: 'bool', isConst, fn: (i) => { const c = compare(fa(i), fb(i)); return c === null ? null : c <= 0; } });
    case '>': return fold({ type: 'bool', isConst, fn: (i) => { const c = compare(fa(i), fb(i)); return c === null ? null : c > 0; } });
    case '>=': return fold({ type: 'bool', isConst, fn: (i) => { const c = compare(fa(i), fb(i)); return c === null ? null : c >= 0; } });
    case '+': case '-':
      return fold(arithmetic(op, a, b, isConst));
    default:
      throw unsupported(`the operator '${op}'`);
  }
}

function arithmetic(op: '+' | '-', a: Scalar, b: Scalar, isConst: boolean): Scalar {
  const fa = a.fn; const fb = b.fn;
  const sign = op === '+' ? 1 : -1;
  const numeric = (t: string) => t === 'long' || t === 'int' || t === 'real';
  if (a.type === 'datetime' && b.type === 'timespan') {
    return { type: 'datetime', isConst, fn: (i) => { const d = fa(i); const t = fb(i); return d === null || t === null ? null : addTicks(d as string, sign * (t as number)); } };
  }
  if (op === '+' && a.type === 'timespan' && b.type === 'datetime') {
    return { type: 'datetime', isConst, fn: (i) => { const d = fb(i); const t = fa(i); return d === null || t === null ? null : addTicks(d as string, t as number); } };
  }
  if ((a.type === 'timespan' && b.type === 'timespan') || (numeric(a.type) && numeric(b.type))) {
    const type: KustoType = a.type === 'timespan' ? 'timespan' : a.type === 'real' || b.type === 'real' ? 'real' : a.type === 'long' || b.type === 'long' ? 'long' : 'int';
    return { type, isConst, fn: (i) => { const x = fa(i); const y = fb(i); return x === null || y === null ? null : (x as number) + sign * (y as number); } };
  }
  throw unsupported(`'${op}' between ${a.type} and ${b.type}`);
}

function compileIn(e: KElement, op: string, rel: Relation, ctx: EvalContext): Scalar {
  const a = compileScalar(child(e, 'Left')!, rel, ctx);
  const right = child(e, 'Right')!;
  if (kindName(right) !== 'ExpressionList') throw unsupported(`'${op}' with a tabular right-hand side`);
  const ci = op.endsWith('~');
  const neg = op.startsWith('!');
  const values = new Set<unknown>();
  for (const item of listItems(child(right, 'Expressions'))) {
    const s = compileScalar(item, rel, ctx);
    if (!s.isConst) throw unsupported(`'${op}' with a list that is not made of literals`);
    const v = s.value;
    if (v === null) continue;
    values.add(ci && typeof v === 'string' ? lower(v) : v);
  }
  const fa = a.fn;
  return fold({ type: 'bool', isConst: a.isConst, fn: (i) => {
    let x = fa(i);
    if (x === null || x === undefined) return null;
    if (ci && typeof x === 'string') x = lower(x);
    const r = values.has(x);
    return neg ? !r : r;
  } });
}

function compileBetween(e: KElement, rel: Relation, ctx: EvalContext, neg: boolean): Scalar {
  const a = compileScalar(child(e, 'Left')!, rel, ctx);
  const couple = child(e, 'Right')!;
  const lo = compileScalar(child(couple, 'First')!, rel, ctx);
  let hi = compileScalar(child(couple, 'Second')!, rel, ctx);
  // `datetime between (start .. timespan)` means start .. start + timespan (dataexplorer-docs between-operator.md)
  if ((lo.type === 'datetime' && hi.type === 'timespan') || (lo.type !== 'timespan' && hi.type === 'timespan' && a.type !== 'timespan')) {
    hi = fold(arithmetic('+', lo, hi, lo.isConst && hi.isConst));
  }
  const fa = a.fn; const fl = lo.fn; const fh = hi.fn;
  return fold({ type: 'bool', isConst: a.isConst && lo.isConst && hi.isConst, fn: (i) => {
    const x = fa(i);
    const c1 = compare(x, fl(i)); const c2 = compare(x, fh(i));
    if (c1 === null || c2 === null) return null;
    const r = c1 >= 0 && c2 <= 0;
    return neg ? !r : r;
  } });
}

function callArgs(e: KElement): KElement[] {
  return listItems(child(child(e, 'ArgumentList')!, 'Expressions'));
}

function compileCall(e: KElement, rel: Relation, ctx: EvalContext): Scalar {
  const name = nameOf(child(e, 'Name'));
  const args = callArgs(e).map((x) => compileScalar(x, rel, ctx));
  const arity = (n: number) => { if (args.length !== n) throw badQuery(`${name}(): expected ${n} argument(s), got ${args.length}`); };
  switch (name) {
    case 'not': {
      arity(1);
      const f = args[0].fn;
      return fold({ type: 'bool', isConst: args[0].isConst, fn: (i) => { const v = f(i); return v === null ? null : !v; } });
    }
    case 'now': case 'ago': {
      // now([offset]) = the service clock + offset; ago(span) = the service clock - span
      if (args.length > 1 || (name === 'ago' && args.length !== 1)) throw badQuery(`${name}(): wrong number of arguments`);
      const span = args[0];
      if (span && (!span.isConst || span.type !== 'timespan')) throw unsupported(`${name}() with an argument that is not a timespan literal`);
      const ticks = span ? (span.value as number) : 0;
      const iso = addTicks(isoFromMs(ctx.nowMs), name === 'ago' ? -ticks : ticks);
      return constant('datetime', iso);
    }
    case 'isempty': case 'isnotempty': {
      arity(1);
      const f = args[0].fn; const want = name === 'isempty';
      return fold({ type: 'bool', isConst: args[0].isConst, fn: (i) => { const v = f(i); return (v === null || v === undefined || v === '') === want; } });
    }
    case 'isnull': case 'isnotnull': {
      arity(1);
      const f = args[0].fn; const want = name === 'isnull';
      return fold({ type: 'bool', isConst: args[0].isConst, fn: (i) => { const v = f(i); return (v === null || v === undefined) === want; } });
    }
    case 'tolower': case 'toupper': {
      arity(1);
      const f = args[0].fn; const up = name === 'toupper';
      return fold({ type: 'string', isConst: args[0].isConst, fn: (i) => { const v = asText(f(i)); return v === null ? '' : up ? v.toUpperCase() : v.toLowerCase(); } });
    }
    default:
      throw unsupported(`the function '${name}()'`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tabular expressions

export function evalQuery(root: KElement, ctx: EvalContext): Relation {
  const statements = listItems(child(root, 'Statements'));
  if (statements.length !== 1) throw unsupported('queries of several statements (let, declare, set, ...)');
  const stmt = statements[0];
  if (kindName(stmt) !== 'ExpressionStatement') throw unsupported(`the '${operatorKeyword(stmt)}' statement`);
  return evalTabular(child(stmt, 'Expression')!, ctx);
}

function evalTabular(e: KElement, ctx: EvalContext): Relation {
  const k = kindName(e);
  switch (k) {
    case 'PipeExpression': {
      const input = evalTabular(child(e, 'Expression')!, ctx);
      return applyOperator(child(e, 'Operator')!, input, ctx);
    }
    case 'NameReference': case 'BracketedName': return scan(nameOf(e), ctx);
    case 'ParenthesizedExpression': return evalTabular(child(e, 'Expression')!, ctx);
    case 'UnionOperator': return union(e, [], ctx);
    default:
      if (k.endsWith('Operator')) throw unsupported(`the '${operatorKeyword(e)}' operator`);
      throw unsupported(`the tabular expression '${text(e)}'`);
  }
}

function scan(name: string, ctx: EvalContext): Relation {
  const table = ctx.tables.get(name);
  if (!table) throw badQuery(`Failed to resolve table or column expression named '${name}'`);
  ctx.rowsScanned += table.length;
  const ts = table.columns.findIndex((c) => c.name === 'Timestamp');
  let idx: Int32Array | undefined;
  if (ts >= 0) {
    // Only rows inside the data window are visible (api-advanced-hunting.md: "Queries explore and return data
    // from the past 30 days"; runHuntingQuery's Timespan moves the window).
    const tcol = (table.data[ts] ?? []) as string[];
    const buf = new Int32Array(table.length);
    let n = 0;
    const { from, to } = ctx;
    for (let i = 0; i < table.length; i++) { const t = tcol[i]; if (t >= from && t <= to) buf[n++] = i; }
    idx = buf.subarray(0, n);
  }
  const n = idx ? idx.length : table.length;
  const cols = table.columns.map((c, j): Column => {
    const data = table.data[j];
    const ix = idx;
    if (!data) { const empty = c.type === 'string' ? '' : null; return { name: c.name, type: c.type, get: () => empty }; }
    return { name: c.name, type: c.type, get: ix ? (i) => data[ix[i]] : (i) => data[i] };
  });
  return { n, cols };
}

function checkNoParameters(op: KElement): void {
  const params = child(op, 'Parameters');
  if (params && listItems(params).length > 0) throw unsupported(`parameters of the '${operatorKeyword(op)}' operator (${text(params)})`);
}

function applyOperator(op: KElement, input: Relation, ctx: EvalContext): Relation {
  const k = kindName(op);
  switch (k) {
    case 'FilterOperator': return where(op, input, ctx);
    case 'ProjectOperator': return project(op, input, ctx);
    case 'ExtendOperator': return extend(op, input, ctx);
    case 'SortOperator': return sort(op, input, ctx);
    case 'TopOperator': return top(op, input, ctx);
    case 'TakeOperator': return take(op, input, ctx);
    case 'CountOperator': return count(op, input);
    case 'SummarizeOperator': return summarize(op, input, ctx);
    case 'UnionOperator': return union(op, [input], ctx);
    default:
      throw unsupported(`the '${operatorKeyword(op)}' operator`);
  }
}

function gather(rel: Relation, idx: ArrayLike<number>, n: number): Relation {
  return { n, cols: rel.cols.map((c) => { const g = c.get; return { name: c.name, type: c.type, get: (i: number) => g(idx[i]) }; }) };
}

function where(op: KElement, input: Relation, ctx: EvalContext): Relation {
  checkNoParameters(op);
  const pred = compileScalar(child(op, 'Condition')!, input, ctx);
  const f = pred.fn;
  const buf = new Int32Array(input.n);
  let n = 0;
  for (let i = 0; i < input.n; i++) if (f(i) === true) buf[n++] = i;
  return gather(input, buf.subarray(0, n), n);
}

/** `Name = expr` or a bare expression, as project, extend and summarize take them. */
function namedExpression(e: KElement, defaultName: () => string): { name: string; expr: KElement } {
  const k = kindName(e);
  if (k === 'SimpleNamedExpression') return { name: nameOf(child(e, 'Name')), expr: child(e, 'Expression')! };
  if (k === 'CompoundNamedExpression') throw unsupported(`assigning several names at once (${text(e)})`);
  if (k === 'NameReference') return { name: nameOf(e), expr: e };
  return { name: defaultName(), expr: e };
}

function project(op: KElement, input: Relation, ctx: EvalContext): Relation {
  const cols: Column[] = [];
  let auto = 0;
  for (const item of listItems(child(op, 'Expressions'))) {
    const { name, expr } = namedExpression(item, () => `Column${++auto}`);
    const s = compileScalar(expr, input, ctx);
    const type = s.type === 'null' ? 'string' : s.type;
    const existing = cols.findIndex((c) => c.name === name);
    const col = { name, type, get: s.fn };
    if (existing >= 0) cols[existing] = col; else cols.push(col);
  }
  return { n: input.n, cols };
}

function extend(op: KElement, input: Relation, ctx: EvalContext): Relation {
  const cols = input.cols.slice();
  let auto = 0;
  for (const item of listItems(child(op, 'Expressions'))) {
    const { name, expr } = namedExpression(item, () => `Column${++auto}`);
    const s = compileScalar(expr, input, ctx);
    const type = s.type === 'null' ? 'string' : s.type;
    const col = { name, type, get: s.fn };
    const existing = cols.findIndex((c) => c.name === name);
    // extend with an existing column's name replaces that column in place (dataexplorer-docs extend-operator.md)
    if (existing >= 0) cols[existing] = col; else cols.push(col);
  }
  return { n: input.n, cols };
}

interface SortKey { fn: Fn; desc: boolean; nullsFirst: boolean }

/** An ordering: Kusto's default is descending; nulls come last when descending and first when ascending
 * (dataexplorer-docs sort-operator.md). */
function sortKey(e: KElement, rel: Relation, ctx: EvalContext): SortKey {
  let expr = e;
  let desc = true;
  let nullsFirst: boolean | undefined;
  if (kindName(e) === 'OrderedExpression') {
    expr = child(e, 'Expression')!;
    const ordering = child(e, 'Ordering');
    const dir = ordering && child(ordering, 'AscOrDescKeyword');
    if (dir && dir.Text) desc = dir.Text.toLowerCase() === 'desc';
    const nulls = ordering && child(ordering, 'NullsClause');
    const fl = nulls && child(nulls, 'FirstOrLastKeyword');
    if (fl && fl.Text) nullsFirst = fl.Text.toLowerCase() === 'first';
  }
  const s = compileScalar(expr, rel, ctx);
  return { fn: s.fn, desc, nullsFirst: nullsFirst ?? !desc };
}

function orderIndices(rel: Relation, keys: SortKey[]): Int32Array {
  const n = rel.n;
  // pull each key's values once: the comparator then reads arrays, not closures
  const vals = keys.map((k) => { const a = new Array<unknown>(n); for (let i = 0; i < n; i++) a[i] = k.fn(i); return a; });
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((x, y) => {
    for (let j = 0; j < keys.length; j++) {
      const a = vals[j][x]; const b = vals[j][y];
      const an = a === null || a === undefined; const bn = b === null || b === undefined;
      if (an || bn) {
        if (an && bn) continue;
        return (an ? -1 : 1) * (keys[j].nullsFirst ? 1 : -1);
      }
      const c = compare(a, b) ?? 0;
      if (c !== 0) return keys[j].desc ? -c : c;
    }
    return x - y; // stable
  });
  return Int32Array.from(idx);
}

function sort(op: KElement, input: Relation, ctx: EvalContext): Relation {
  checkNoParameters(op);
  const keys = listItems(child(op, 'Expressions')).map((e) => sortKey(e, input, ctx));
  return gather(input, orderIndices(input, keys), input.n);
}

function countArgument(e: KElement | null, opName: string, rel: Relation, ctx: EvalContext): number {
  const s = e ? compileScalar(e, rel, ctx) : undefined;
  if (!s || !s.isConst || typeof s.value !== 'number') throw unsupported(`a '${opName}' count that is not a number literal`);
  return Math.max(0, Math.floor(s.value));
}

function top(op: KElement, input: Relation, ctx: EvalContext): Relation {
  checkNoParameters(op);
  const n = countArgument(child(op, 'Expression'), 'top', input, ctx);
  const key = sortKey(child(op, 'ByExpression')!, input, ctx);
  const order = orderIndices(input, [key]);
  const m = Math.min(n, input.n);
  return gather(input, order.subarray(0, m), m);
}

function take(op: KElement, input: Relation, ctx: EvalContext): Relation {
  checkNoParameters(op);
  const n = countArgument(child(op, 'Expression'), operatorKeyword(op), input, ctx);
  return { n: Math.min(n, input.n), cols: input.cols };
}

function count(op: KElement, input: Relation): Relation {
  if (child(op, 'AsIdentifier')) throw unsupported(`'count as'`);
  const n = input.n;
  return { n: 1, cols: [{ name: 'Count', type: 'long', get: () => n }] };
}

interface Aggregate { name: string; type: KustoType; init: () => unknown; step: (acc: unknown, i: number) => unknown; done?: (acc: unknown) => unknown }

function aggregate(item: KElement, rel: Relation, ctx: EvalContext): Aggregate {
  const k = kindName(item);
  let name: string | undefined;
  let call = item;
  if (k === 'SimpleNamedExpression') { name = nameOf(child(item, 'Name')); call = child(item, 'Expression')!; }
  if (kindName(call) !== 'FunctionCallExpression') throw unsupported(`the summarize aggregate '${text(call)}'`);
  const fname = nameOf(child(call, 'Name'));
  const args = callArgs(call);
  const argName = args[0] && kindName(args[0]) === 'NameReference' ? nameOf(args[0]) : '';
  switch (fname) {
    case 'count': {
      if (args.length) throw unsupported('count() with arguments');
      return { name: name ?? 'count_', type: 'long', init: () => 0, step: (a) => (a as number) + 1 };
    }
    case 'countif': {
      const p = compileScalar(args[0], rel, ctx).fn;
      return { name: name ?? 'countif_', type: 'long', init: () => 0, step: (a, i) => (p(i) === true ? (a as number) + 1 : a) };
    }
    case 'dcount': {
      const f = compileScalar(args[0], rel, ctx).fn;
      return { name: name ?? `dcount_${argName}`, type: 'long', init: () => new Set<unknown>(), step: (a, i) => { const v = f(i); if (v !== null && v !== undefined) (a as Set<unknown>).add(v); return a; }, done: (a) => (a as Set<unknown>).size };
    }
    case 'min': case 'max': {
      const s = compileScalar(args[0], rel, ctx);
      const f = s.fn; const sign = fname === 'min' ? -1 : 1;
      return { name: name ?? `${fname}_${argName}`, type: s.type === 'null' ? 'string' : s.type, init: () => null, step: (a, i) => {
        const v = f(i);
        if (v === null || v === undefined) return a;
        return a === null || (compare(v, a) ?? 0) * sign > 0 ? v : a;
      } };
    }
    default:
      throw unsupported(`the aggregation function '${fname}()' in summarize (the emulator supports count(), countif(), dcount(), min(), max())`);
  }
}

function summarize(op: KElement, input: Relation, ctx: EvalContext): Relation {
  checkNoParameters(op);
  const aggs = listItems(child(op, 'Aggregates')).map((a) => aggregate(a, input, ctx));
  const byClause = child(op, 'ByClause');
  if (byClause && child(byClause, 'BinClause')) throw unsupported(`summarize ... by ... bin`);
  let auto = 0;
  const keys = listItems(byClause && child(byClause, 'Expressions')).map((item) => {
    const { name, expr } = namedExpression(item, () => `Column${++auto}`);
    if (kindName(expr) === 'FunctionCallExpression') throw unsupported(`grouping by the function '${nameOf(child(expr, 'Name'))}()' in summarize`);
    const s = compileScalar(expr, input, ctx);
    return { name, type: (s.type === 'null' ? 'string' : s.type) as KustoType, fn: s.fn };
  });
  // groups in order of first appearance
  const groups = new Map<string, { first: number; accs: unknown[] }>();
  const order: Array<{ first: number; accs: unknown[] }> = [];
  for (let i = 0; i < input.n; i++) {
    let key = '';
    for (const k of keys) key += `${JSON.stringify(k.fn(i) ?? null)}\u0000`;
    let g = groups.get(key);
    if (!g) { g = { first: i, accs: aggs.map((a) => a.init()) }; groups.set(key, g); order.push(g); }
    for (let j = 0; j < aggs.length; j++) g.accs[j] = aggs[j].step(g.accs[j], i);
  }
  // summarize with no by-clause always returns one row, even over no input
  if (keys.length === 0 && order.length === 0) order.push({ first: -1, accs: aggs.map((a) => a.init()) });
  const cols: Column[] = keys.map((k) => ({ name: k.name, type: k.type, get: (i: number) => k.fn(order[i].first) }));
  aggs.forEach((a, j) => {
    cols.push({ name: a.name, type: a.type, get: (i: number) => { const acc = order[i].accs[j]; return a.done ? a.done(acc) : acc; } });
  });
  return { n: order.length, cols };
}

function union(op: KElement, inputs: Relation[], ctx: EvalContext): Relation {
  let kind = 'outer';
  let withSource: string | undefined;
  for (const p of listItems(child(op, 'Parameters'))) {
    const pname = nameOf(child(p, 'Name')).toLowerCase();
    const value = child(p, 'Expression');
    if (pname === 'kind') kind = text(value).toLowerCase();
    else if (pname === 'withsource') withSource = nameOf(value);
    else if (pname === 'isfuzzy') continue;
    else throw unsupported(`the union parameter '${pname}'`);
  }
  const sources: string[] = inputs.map((_, i) => `union_arg${i}`);
  const rels = inputs.slice();
  for (const item of listItems(child(op, 'Expressions'))) {
    const k = kindName(item);
    if (k === 'NameReference') sources.push(nameOf(item));
    else if (k === 'ParenthesizedExpression') sources.push(`union_arg${rels.length}`);
    else throw unsupported(`'${text(item)}' as a union leg (the emulator supports table names and parenthesised queries)`);
    if (k === 'NameReference' && /[*]/.test(nameOf(item))) throw unsupported('wildcard table names in union');
    rels.push(evalTabular(item, ctx));
  }
  // Output columns: the union of the legs' columns (kind=outer, the default) or the columns common to all
  // legs (kind=inner); a name that has different types in different legs becomes Name_type
  // (dataexplorer-docs union-operator.md).
  const typesByName = new Map<string, Set<KustoType>>();
  const order: string[] = [];
  for (const r of rels) for (const c of r.cols) {
    let s = typesByName.get(c.name);
    if (!s) { s = new Set(); typesByName.set(c.name, s); order.push(c.name); }
    s.add(c.type);
  }
  const outCols: Array<{ name: string; src: string; type: KustoType }> = [];
  for (const name of order) {
    const types = [...typesByName.get(name)!];
    if (kind === 'inner' && !rels.every((r) => r.cols.some((c) => c.name === name))) continue;
    if (types.length === 1) outCols.push({ name, src: name, type: types[0] });
    else for (const t of types) outCols.push({ name: `${name}_${t}`, src: name, type: t });
  }
  const offsets: number[] = [];
  let total = 0;
  for (const r of rels) { offsets.push(total); total += r.n; }
  const legOf = (i: number): number => { let j = rels.length - 1; while (offsets[j] > i) j--; return j; };
  const cols: Column[] = outCols.map((oc) => {
    const getters = rels.map((r) => r.cols.find((c) => c.name === oc.src && c.type === oc.type)?.get);
    // a column a leg lacks is empty: "" for strings (Kusto strings are never null), null otherwise
    const missing = oc.type === 'string' ? '' : null;
    return { name: oc.name, type: oc.type, get: (i: number) => { const j = legOf(i); const g = getters[j]; return g ? g(i - offsets[j]) : missing; } };
  });
  if (withSource) cols.unshift({ name: withSource, type: 'string', get: (i) => sources[legOf(i)] });
  return { n: total, cols };
}

// ---------------------------------------------------------------------------------------------------------
// Diagnostics -> Microsoft's error messages

function lineCol(query: string, pos: number): [number, number] {
  let line = 1; let col = 1;
  for (let i = 0; i < pos && i < query.length; i++) {
    if (query[i] === '\n') { line++; col = 1; } else if (query[i] !== '\r') col++;
  }
  return [line, col];
}

/** A syntax error, in the words Microsoft's Kusto front ends use: "A recognition error occurred" is the
 * advanced-hunting error table's example (defender-docs defender-xdr/advanced-hunting-errors.md), and
 * "Query could not be parsed at '<token>' on line [l,c]" is the inner SYN0002 message Kusto services
 * return (observed in public captures of Log Analytics 400 BadArgumentError bodies, e.g. in
 * Azure SDK for .NET troubleshooting docs). The parser's own diagnostic follows. */
export function syntaxError(query: string, d: KDiagnostic, tokenAt: (pos: number) => KElement | null): HuntingError {
  const tok = tokenAt(d.Start);
  let shown = tok && !tok.IsMissing && tok.Text ? tok.Text : query.substr(d.Start, Math.max(1, d.Length)).trim();
  if (!shown) shown = '<end of query>';
  const [line, col] = lineCol(query, d.Start);
  return badQuery(`A recognition error occurred in the query. Query could not be parsed at '${shown}' on line [${line},${col}]: ${d.Message} (${d.Code})`);
}

/** A semantic error. Unknown names use Kusto's wording: "'where' operator: Failed to resolve scalar expression
 * named 'x'" (advanced-hunting-errors.md example) and "Failed to resolve table or column expression named 'X'". */
export function semanticError(query: string, d: KDiagnostic, tokenAt: (pos: number) => KElement | null): HuntingError {
  const name = query.substr(d.Start, d.Length);
  let node: KElement | null = tokenAt(d.Start);
  let opName: string | undefined;
  while (node) {
    const k = kindName(node);
    if (k.endsWith('Operator') && k !== 'UnionOperator') { opName = operatorKeyword(node); break; }
    node = child(node, 'Parent');
  }
  const prefix = opName ? `'${opName}' operator: ` : '';
  const [line, col] = lineCol(query, d.Start);
  const where = ` (line ${line}, position ${col})`;
  if (d.Code === 'KS204') return badQuery(`${prefix}Failed to resolve table or column expression named '${name}'${where}`);
  if (d.Code === 'KS142') return badQuery(`${prefix}Failed to resolve scalar expression named '${name}'${where}`);
  if (d.Code === 'KS211') return badQuery(`${prefix}Unknown function: '${name}'${where}`);
  return badQuery(`${prefix}${d.Message} (${d.Code})${where}`);
}
