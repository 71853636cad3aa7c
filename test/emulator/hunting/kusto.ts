// Microsoft's Kusto parser (@kusto/language-service-next, the C# Kusto.Language compiled to JavaScript by
// Bridge.NET), loaded lazily on the first query and once per process. The package only defines globals
// (Bridge, System, Kusto) and exports nothing useful, so the small part of its API the engine uses is typed
// here by hand (see node_modules/@kusto/language-service-next/Kusto.Language.Bridge.d.ts for the full one).
import { ColumnDef } from './schema';

/** A syntax element (node or token) of Kusto.Language.Syntax. Named children are properties on the object. */
export interface KElement {
  Kind: number;
  IsToken: boolean;
  IsMissing: boolean;
  ChildCount: number;
  GetChild(index: number): KElement | null;
  GetName(index: number): string | null;
  /** start of the element's text, after its leading trivia */
  TextStart: number;
  Width: number;
  /** tokens only */
  Text?: string | null;
  Value?: unknown;
  ValueText?: string | null;
  [child: string]: unknown;
}

export interface KDiagnostic { Code: string; Message: string; Severity: string; Start: number; Length: number; HasLocation: boolean }

interface KList<T> { Count?: number; getItem(i: number): T }

interface KCode {
  Syntax: KElement & { GetTokenAt(position: number): KElement | null };
  GetDiagnostics(): KList<KDiagnostic> | KDiagnostic[];
  GetSyntaxDiagnostics(): KList<KDiagnostic> | KDiagnostic[];
}

interface KLanguage {
  KustoCode: { Parse(text: string): KCode; ParseAndAnalyze(text: string, globals: unknown): KCode };
  GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { ctor: new (name: string, tables: unknown[]) => unknown };
  };
  Syntax: { SyntaxKind: Record<string, number | unknown> };
  KustoFacts: { GetStringLiteralValue(literal: string): string };
}

let language: KLanguage | undefined;
let kindNames: string[] = [];

/** Loads the library (about 0.15 s) the first time; the first parse then builds its grammar (about 0.5 s). */
export function kusto(): KLanguage {
  if (language) return language;
  // Load order matters: the Bridge runtime defines the globals the library needs (tooling-notes §1).
  require('@kusto/language-service-next/bridge.min.js');
  require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
  const g = globalThis as unknown as { Kusto: { Language: KLanguage } };
  language = g.Kusto.Language;
  const names: string[] = [];
  for (const [name, value] of Object.entries(language.Syntax.SyntaxKind)) if (typeof value === 'number') names[value] = name;
  kindNames = names;
  return language;
}

export function kindName(e: KElement): string { return kindNames[e.Kind] ?? String(e.Kind); }

/** A diagnostics collection as a plain array: with no diagnostics the library returns a bare JS array
 * without Count (tooling-notes §1, "Trap"). */
export function toArray(list: KList<KDiagnostic> | KDiagnostic[]): KDiagnostic[] {
  if (Array.isArray(list)) return list;
  const out: KDiagnostic[] = [];
  const n = list.Count ?? 0;
  for (let i = 0; i < n; i++) out.push(list.getItem(i));
  return out;
}

/** The GlobalState the analyzer resolves names against: one database holding the hunting tables. */
export function buildGlobals(tables: Record<string, ColumnDef[]>): unknown {
  const K = kusto();
  const symbols = Object.entries(tables).map(([name, columns]) =>
    new K.Symbols.TableSymbol.$ctor7(name, `(${columns.map((c) => `${c.name}:${c.type}`).join(', ')})`, null));
  return K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor('AdvancedHunting', symbols));
}

export function parseAndAnalyze(text: string, globals: unknown): { code: KCode; syntax: KDiagnostic[]; all: KDiagnostic[] } {
  const K = kusto();
  const code = K.KustoCode.ParseAndAnalyze(text, globals);
  return { code, syntax: toArray(code.GetSyntaxDiagnostics()), all: toArray(code.GetDiagnostics()) };
}

/** The named child of a node (the Bridge objects expose them as properties, e.g. Left, Operator, Expression). */
export function child(node: KElement, name: string): KElement | null {
  const v = node[name];
  return v && typeof v === 'object' ? (v as KElement) : null;
}

/** Elements of a SyntaxList / SeparatedSyntaxList, without the separators. */
export function listItems(list: KElement | null): KElement[] {
  const out: KElement[] = [];
  if (!list) return out;
  for (let i = 0; i < list.ChildCount; i++) {
    let e = list.GetChild(i);
    if (!e) continue;
    if (kindName(e) === 'SeparatedElement') e = e.GetChild(0);
    if (e && !e.IsToken) out.push(e);
  }
  return out;
}

/** Every token under an element, in order. */
export function tokensOf(e: KElement | null, out: KElement[] = []): KElement[] {
  if (!e) return out;
  if (e.IsToken) { out.push(e); return out; }
  for (let i = 0; i < e.ChildCount; i++) tokensOf(e.GetChild(i), out);
  return out;
}
