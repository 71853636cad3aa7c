// The advanced-hunting engine: Microsoft's Kusto parser for syntax and names, the emulator's evaluator for the
// supported subset, seeded tables with the advanced hunting schema's columns.
import { HuntingColumn, HuntingEngine, HuntingEngineOptions, HuntingError, HuntingResult, HuntingRunOptions } from './api';
import { EvalContext, evalQuery, semanticError, syntaxError, TableData } from './engine';
import { buildGlobals, KElement, parseAndAnalyze } from './kusto';
import { API_TYPE_NAMES, KustoType, TABLES } from './schema';
import { emptyValue, seedTables } from './seed';
import { formatTimespan, isoFromDate, isoFromText } from './time';

export * from './api';

/** Results hold at most 100,000 rows (api-advanced-hunting.md "Results can return up to 100,000 rows";
 * defender-endpoint run-advanced-query-api.md "The results include a maximum of 100,000 rows"). No Microsoft
 * source says what happens to a larger result beyond the 124 MB size error of the MDE API, so the emulator
 * returns the first 100,000 rows and no error. */
export const MAX_RESULT_ROWS = 100_000;

/** The default data window: the 30 days before now (api-advanced-hunting.md quota 1; runHuntingQuery's
 * Timespan "If not provided, the default timespan of 30 days will be used"). */
export const DEFAULT_WINDOW_MS = 30 * 86_400_000;

/** The analyzer's GlobalState depends only on the static schema: built once per process, on the first query. */
let sharedGlobals: unknown;

export function createHuntingEngine(options: HuntingEngineOptions): HuntingEngine {
  const tables = seedTables(options);

  function run(query: string, runOptions: HuntingRunOptions): HuntingResult {
    const started = process.hrtime.bigint();
    if (typeof query !== 'string' || query.trim() === '') throw new HuntingError(400, 'BadRequest', 'Missing query.');
    // semantic analysis against the tables' own schemas; built on the first query (it needs the library)
    if (!sharedGlobals) sharedGlobals = buildGlobals(TABLES);
    const { code, syntax, all } = parseAndAnalyze(query, sharedGlobals);
    const tokenAt = (pos: number): KElement | null => code.Syntax.GetTokenAt(pos);
    const syntaxErrors = syntax.filter((d) => d.Severity === 'Error');
    if (syntaxErrors.length) throw syntaxError(query, syntaxErrors[0], tokenAt);
    const semantic = all.filter((d) => d.Severity === 'Error');
    if (semantic.length) throw semanticError(query, semantic[0], tokenAt);

    const nowMs = runOptions.now.getTime();
    const to = runOptions.to ?? runOptions.now;
    const from = runOptions.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS);
    const ctx: EvalContext = { tables, from: isoFromDate(from), to: isoFromDate(to), nowMs, rowsScanned: 0 };
    const rel = evalQuery(code.Syntax, ctx);

    const n = Math.min(rel.n, MAX_RESULT_ROWS);
    const makeRow = rowFactory(rel.cols.map((c) => c.name));
    const getters = rel.cols.map((c): ((i: number) => unknown) => {
      const g = c.get;
      if (c.type === 'timespan') return (i) => { const v = g(i); return typeof v === 'number' ? formatTimespan(v) : null; };
      return (i) => { const v = g(i); return v === undefined ? null : v; };
    });
    const rows: Array<Record<string, unknown>> = new Array(n);
    for (let i = 0; i < n; i++) rows[i] = makeRow(getters, i);
    const cols = rel.cols;
    const schema: HuntingColumn[] = cols.map((c) => ({ name: c.name, type: API_TYPE_NAMES[c.type] }));
    const executionTimeSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { schema, rows, stats: { executionTimeSeconds, rowsScanned: ctx.rowsScanned } };
  }

  function addRows(tableName: string, rows: Array<Record<string, unknown>>): void {
    const table = tables.get(tableName);
    if (!table) throw new HuntingError(400, 'BadRequest', `Unknown advanced hunting table '${tableName}'. Known tables: ${[...tables.keys()].join(', ')}.`);
    const index = new Map(table.columns.map((c, j) => [c.name, j] as const));
    // validate every row before changing anything
    const converted = rows.map((row, r) => {
      const out: Array<[number, unknown]> = [];
      for (const [name, value] of Object.entries(row)) {
        const j = index.get(name);
        if (j === undefined) throw new HuntingError(400, 'BadRequest', `Row ${r}: table '${tableName}' has no column '${name}'.`);
        out.push([j, convert(value, table.columns[j].type, `${tableName}.${name} (row ${r})`)]);
      }
      return out;
    });
    const start = table.length;
    table.length += rows.length;
    for (let j = 0; j < table.columns.length; j++) {
      const data = table.data[j];
      if (data) { data.length = table.length; data.fill(emptyValue(table.columns[j].type), start); }
    }
    converted.forEach((pairs, r) => {
      for (const [j, v] of pairs) {
        let data: unknown[] | undefined = table.data[j];
        if (!data) { data = new Array<unknown>(table.length).fill(emptyValue(table.columns[j].type)); table.data[j] = data; }
        data[start + r] = v;
      }
    });
  }

  function schema(): Record<string, HuntingColumn[]> {
    const out: Record<string, HuntingColumn[]> = {};
    for (const [name, t] of tables) out[name] = t.columns.map((c) => ({ name: c.name, type: API_TYPE_NAMES[c.type] }));
    return out;
  }

  function counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, t] of tables) out[name] = t.length;
    return out;
  }

  return { run, addRows, schema, counts };
}

/** A function that builds one result row as an object literal with the columns as fixed keys: V8 then gives
 * every row the same shape, which is several times faster for 100,000 rows than adding keys one by one.
 * The keys are JSON-quoted, so a column name cannot break out of the generated source. */
function rowFactory(names: string[]): (getters: Array<(i: number) => unknown>, i: number) => Record<string, unknown> {
  const body = `return {${names.map((nm, j) => `${JSON.stringify(nm)}: g[${j}](i)`).join(', ')}};`;
  return new Function('g', 'i', body) as (getters: Array<(i: number) => unknown>, i: number) => Record<string, unknown>;
}

/** A value handed to addRows, in the engine's form for a column of `type`. */
function convert(value: unknown, type: KustoType, where: string): unknown {
  const bad = () => new HuntingError(400, 'BadRequest', `${where}: ${JSON.stringify(value)} is not a valid ${type}.`);
  if (value === null || value === undefined) return emptyValue(type);
  switch (type) {
    case 'string':
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
    case 'datetime': {
      if (value instanceof Date) { if (Number.isNaN(value.getTime())) throw bad(); return isoFromDate(value); }
      if (typeof value === 'string') { const iso = isoFromText(value); if (!iso) throw bad(); return iso; }
      throw bad();
    }
    case 'long': case 'int': case 'real': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n) || (type !== 'real' && !Number.isInteger(n))) throw bad();
      return n;
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw bad();
    case 'timespan':
      if (typeof value === 'number') return value;
      throw bad();
    case 'dynamic':
      return value;
  }
}

// Loaded for side effects by tests that want the parser warm before their first query.
export { kusto as loadKustoLibrary } from './kusto';
export type { TableData };
