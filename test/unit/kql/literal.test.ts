import { expect } from 'chai';
import { kqlDatetime, kqlIdentifier, kqlString } from '../../../lib/kql/literal';
import { analyze, errorOf, expectClean, kusto, loadKusto } from './kusto-support';

describe('kql/literal', () => {
  before(function () {
    this.timeout(60_000);
    loadKusto();
  });

  describe('kqlString', () => {
    it('writes double-quoted literals with the escapes of KustoFacts.GetDoubleQuotedStringLiteral', () => {
      const K = kusto() as unknown as { KustoFacts: { GetDoubleQuotedStringLiteral(s: string): string } };
      const samples = ['', 'plain', "it's", 'say "hi"', 'C:\\Windows\\System32', 'a\nb', 'a\r\nb', 'tab\there', '\\"', '"|', '// not a comment',
        'ünïcødé', '日本語', '😀 emoji', '\\\\server\\share', '"; DeviceEvents | take 1000000; "', "' or 1==1 //"];
      for (const s of samples) {
        expect(kqlString(s, 'value'), JSON.stringify(s)).to.equal(K.KustoFacts.GetDoubleQuotedStringLiteral(s));
      }
      expect(kqlString('a"b\\c\n\r\t', 'value')).to.equal('"a\\"b\\\\c\\n\\r\\t"');
    });

    it('gives exactly one literal token whose value is the input', () => {
      for (const s of ['x', '"', '\\', '\\"', '"|', 'a\tb\nc\rd', '😀', "'", '```', '~~~', '@"x"', 'h"y"']) {
        const a = expectClean(`print v = ${kqlString(s, 'value')}`);
        expect(a.strings, JSON.stringify(s)).to.deep.equal([s]);
      }
    });

    it('refuses other control characters, line separators and lone surrogates, naming the parameter', () => {
      const refused = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000B', '\u000C', '\u001B', '\u001F', '\u007F', '\u0085', '\u009F', '\u2028', '\u2029'];
      for (const c of refused) {
        const msg = errorOf('INVALID_INPUT', () => kqlString(`ab${c}cd`, 'hostname_entity_key'));
        expect(msg).to.contain("Parameter 'hostname_entity_key'").and.contain(`U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).and.contain('position 3');
      }
      expect(errorOf('INVALID_INPUT', () => kqlString('a\uD800b', 'query'))).to.contain("Parameter 'query'").and.contain('surrogate');
      expect(errorOf('INVALID_INPUT', () => kqlString('\uDC00', 'query'))).to.contain('U+DC00');
      expect(errorOf('INVALID_INPUT', () => kqlString('x\uD83D', 'The HOSTNAME entity "x"'))).to.match(/^The HOSTNAME entity "x" contains/);
      expect(kqlString('\uD83D\uDE00', 'v')).to.equal('"😀"');
    });
  });

  describe('kqlDatetime', () => {
    it('writes datetime(ISO 8601 UTC with milliseconds), which the parser accepts', () => {
      const d = new Date('2024-01-02T03:04:05.678Z');
      expect(kqlDatetime(d)).to.equal('datetime(2024-01-02T03:04:05.678Z)');
      expectClean(`print t = ${kqlDatetime(d)}`);
      expectClean(`print t = ${kqlDatetime(new Date('2024-02-29T00:00:00+02:00'))}`);
    });

    it('refuses an invalid date as a bug', () => {
      errorOf('INTERNAL', () => kqlDatetime(new Date('nope')));
      errorOf('INTERNAL', () => kqlDatetime(new Date(Date.UTC(10000, 0, 1))));
    });
  });

  describe('kqlIdentifier', () => {
    it('accepts names of the pattern, trimmed', () => {
      for (const n of ['DeviceEvents', 'Timestamp', '_x', 'a1', 'A'.repeat(128), 'InitiatingProcessAccountUpn']) expect(kqlIdentifier(n, 'fields_to_return')).to.equal(n);
      expect(kqlIdentifier('  DeviceName ', 'fields_to_return')).to.equal('DeviceName');
      // idempotent: what it returns, it accepts again unchanged
      expect(kqlIdentifier("['DeviceName']", 'fields_to_return')).to.equal('DeviceName');
      for (const n of ['title', 'where', 'Title', 'DeviceName']) {
        const once = kqlIdentifier(n, 'fields_to_return');
        expect(kqlIdentifier(once, 'fields_to_return'), n).to.equal(once);
      }
    });

    it('refuses anything else, naming the parameter', () => {
      for (const n of ['Device Events', 'T; drop', 'T|take 1', '', '   ', '1abc', 'a-b', 'a.b', "['x y']", "['x'", "[\"x\"]", "['x']]", 'A'.repeat(129), 'Dévice', 'x\ny', 'T//', '"T"', 'T\u0000']) {
        const msg = errorOf('INVALID_INPUT', () => kqlIdentifier(n, 'table_names'));
        expect(msg, JSON.stringify(n)).to.contain("Parameter 'table_names'");
      }
    });

    it('brackets exactly the names Kusto.Language brackets (its keywords), and the result is read as a name', () => {
      const K = kusto() as unknown as { KustoFacts: { BracketNameIfNecessary(s: string): string }; Syntax: { SyntaxFacts: { Keywords: unknown } } };
      const words = (globalThis as unknown as { Bridge: { toArray(x: unknown): string[] } }).Bridge.toArray(K.Syntax.SyntaxFacts.Keywords)
        .filter((w) => /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(w));
      expect(words.length).to.be.greaterThan(100);
      for (const w of [...words, 'Title', 'Type', 'DeviceName', 'Where', 'BY', 'x_1']) {
        const id = kqlIdentifier(w, 'fields_to_return');
        expect(id, w).to.equal(K.KustoFacts.BracketNameIfNecessary(w));
        const a = analyze(`print ${id} = 1 | project ${id}`);
        expect(a.diagnostics.filter((d) => d.Severity === 'Error').map((d) => d.Message), w).to.deep.equal([]);
      }
    });
  });
});
