// Microsoft's Kusto parser for the lib/kql tests (tooling-notes §1), through the emulator's loader, against the
// advanced hunting schema of lib/kql/schema.ts (every table of reference §4, with column types).
import { expect } from 'chai';
import { kusto, kindName, toArray, tokensOf, type KDiagnostic, type KElement } from '../../emulator/hunting/kusto';
import { HUNTING_SCHEMA } from '../../../lib/kql/schema';
import { ActionError } from '../../../lib/runtime/errors';

let globals: unknown;

/** Loads the library and builds the GlobalState once per process, then pays for the grammar with a warm-up parse. */
export function loadKusto(): void {
  if (globals) return;
  const K = kusto();
  const symbols = Object.entries(HUNTING_SCHEMA).map(([name, columns]) =>
    new K.Symbols.TableSymbol.$ctor7(name, `(${columns.map((c) => `${c.name}:${c.type}`).join(', ')})`, null));
  globals = K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor('AdvancedHunting', symbols));
  K.KustoCode.ParseAndAnalyze('DeviceEvents | take 1', globals);
}

export interface Analysis {
  diagnostics: KDiagnostic[];
  tokens: KElement[];
  /** the values of the string-literal tokens, in order */
  strings: string[];
}

export function analyze(text: string): Analysis {
  loadKusto();
  const K = kusto();
  const code = (K.KustoCode as unknown as { ParseAndAnalyze(t: string, g: unknown): { Syntax: KElement; GetDiagnostics(): never } })
    .ParseAndAnalyze(text, globals);
  const diagnostics = toArray(code.GetDiagnostics());
  const tokens = tokensOf(code.Syntax).filter((t) => kindName(t) !== 'EndOfTextToken');
  const strings = tokens.filter((t) => kindName(t) === 'StringLiteralToken').map((t) => K.KustoFacts.GetStringLiteralValue(t.Text ?? ''));
  return { diagnostics, tokens, strings };
}

/** Parses and analyzes `text` and expects no diagnostic at all (errors, warnings or suggestions). */
export function expectClean(text: string): Analysis {
  const a = analyze(text);
  const shown = a.diagnostics.map((d) => `${d.Severity} ${d.Code} ${d.Message} at ${d.Start}: ${JSON.stringify(text.slice(d.Start, d.Start + Math.max(d.Length, 1)))}`);
  expect(shown, `diagnostics of\n${text}`).to.deep.equal([]);
  return a;
}

export function errorsOf(text: string): KDiagnostic[] {
  return analyze(text).diagnostics.filter((d) => d.Severity === 'Error');
}

/** The kind names of the tokens, string literals reduced to one placeholder. */
export const shape = (a: Analysis): string[] => a.tokens.map((t) => (kindName(t) === 'StringLiteralToken' ? 'STRING' : `${kindName(t)}:${kindName(t) === 'IdentifierToken' ? t.Text : ''}`));

export { kusto, kindName };

/** Runs `fn`, expects an ActionError of `code`, returns its message. */
export function errorOf(code: ActionError['code'], fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ActionError);
    expect((err as ActionError).code, (err as Error).message).to.equal(code);
    return (err as Error).message;
  }
  throw new Error(`expected an ActionError ${code}`);
}
