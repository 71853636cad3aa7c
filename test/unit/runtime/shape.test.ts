import { expect } from 'chai';
import { ActionError } from '../../../lib/runtime/errors';
import { describeAnswer, expectObject, huntingTable, keysOf, listPage, type Answered } from '../../../lib/runtime/shape';
import { prng } from '../../support/prng';

const AT: Answered = { api: 'the Defender XDR API', label: 'searching incidents' };
const GRAPH: Answered = { api: 'Microsoft Graph', label: 'running the hunting query' };

function apiError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ActionError);
    expect((err as ActionError).code).to.equal('API_ERROR');
    return (err as ActionError).message;
  }
  throw new Error('expected an API_ERROR');
}

describe('shape checks of answers (lib/runtime/shape)', () => {
  describe('listPage', () => {
    it('refuses each wrong shape of the issue, saying what came and what was expected', () => {
      const cases: Array<[unknown, string]> = [
        [{}, "an object without 'value' (it has no keys)"],
        [{ value: null }, "a 'value' that is null"],
        [[], 'a list (0 items)'],
        ['<html>', 'a string'],
        [undefined, 'an empty body'],
        [{ value: 5 }, "a 'value' that is a number"],
        [null, 'null'],
        [{ value: {} }, "a 'value' that is an object"],
        [{ value: 'x' }, "a 'value' that is a string"],
        [true, 'true or false'],
        [{ Value: [] }, "an object without 'value' (it has key 'Value')"],
      ];
      for (const [answer, came] of cases) {
        expect(apiError(() => listPage(answer, AT)), JSON.stringify(answer)).to.equal(
          `The Defender XDR API answered searching incidents with ${came}; expected a JSON object with a 'value' list (a page of results).`,
        );
      }
    });

    it('takes a page with its nextLink and count; a null or empty nextLink is no next page', () => {
      expect(listPage({ value: [1, 2], '@odata.nextLink': 'https://x/y?$skip=2', '@odata.count': 7 }, AT)).to.deep.equal({ value: [1, 2], nextLink: 'https://x/y?$skip=2', count: 7 });
      expect(listPage({ value: [], '@odata.nextLink': null }, AT)).to.deep.equal({ value: [] });
      expect(listPage({ value: [], '@odata.nextLink': '' }, AT)).to.deep.equal({ value: [] });
      expect(apiError(() => listPage({ value: [], '@odata.nextLink': 3 }, AT))).to.match(/an '@odata\.nextLink' that is a number; expected '@odata\.nextLink' to be the next page's URL/);
      expect(apiError(() => listPage({ value: [], '@odata.nextLink': ['https://x'] }, AT))).to.match(/'@odata\.nextLink' that is a list/);
      expect(apiError(() => listPage({ value: [], '@odata.count': '7' }, AT))).to.match(/'@odata\.count' that is a string/);
      expect(apiError(() => listPage({ value: [], '@odata.count': 1.5 }, AT))).to.match(/'@odata\.count' that is not a count/);
    });

    it('never echoes a value of the answer, whatever it holds (random answers with a secret in every value)', () => {
      const rand = prng(1301);
      const secret = 'sekrit-Value-9';
      const valueOf = (depth: number): unknown => {
        const r = rand();
        if (depth > 2 || r < 0.3) return `${secret}${Math.floor(rand() * 1000)}`;
        if (r < 0.45) return rand() < 0.5 ? null : 42;
        if (r < 0.7) return Array.from({ length: Math.floor(rand() * 3) }, () => valueOf(depth + 1));
        return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i}`, valueOf(depth + 1)]));
      };
      let refused = 0;
      for (let n = 0; n < 500; n++) {
        const answer = rand() < 0.5 ? valueOf(0) : { value: valueOf(1), '@odata.nextLink': valueOf(2) };
        try {
          listPage(answer, AT);
          huntingTable(answer, GRAPH, { schema: 'schema', results: 'results' });
        } catch (err) {
          refused++;
          expect((err as Error).message).not.to.include(secret);
        }
      }
      expect(refused).to.be.greaterThan(400);
    });
  });

  it('describes answers by type and key names only: at most six keys, each shortened, control characters replaced', () => {
    expect(describeAnswer({ a: 1, b: 'x' })).to.equal("an object with keys 'a', 'b'");
    expect(describeAnswer([1, 2, 3])).to.equal('a list (3 items)');
    expect(describeAnswer([1])).to.equal('a list (1 item)');
    expect(describeAnswer(5)).to.equal('a number');
    const many = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`key${i}`, i]));
    expect(keysOf(many)).to.equal("keys 'key0', 'key1', 'key2', 'key3', 'key4', 'key5' and 3 more");
    expect(keysOf({ [`${'k'.repeat(60)}\n\u2028`]: 1 })).to.equal(`key '${'k'.repeat(40)}...'`);
    expect(keysOf({ 'a\nb': 1 })).to.equal("key 'a?b'");
  });

  it('expectObject names what was expected', () => {
    expect(expectObject({ id: '1' }, AT)).to.deep.equal({ id: '1' });
    expect(apiError(() => expectObject(undefined, { api: 'Microsoft Graph', label: 'getting incident 5' }, 'an incident (a JSON object)'))).to.equal(
      'Microsoft Graph answered getting incident 5 with an empty body; expected an incident (a JSON object).',
    );
    expect(apiError(() => expectObject([], AT))).to.match(/with a list \(0 items\); expected a JSON object\.$/);
  });

  describe('huntingTable', () => {
    const GRAPH_KEYS = { schema: 'schema', results: 'results' };
    const LEGACY_KEYS = { schema: 'Schema', results: 'Results' };

    it("takes Graph's and the Defender XDR API's answers, key names in either case", () => {
      expect(huntingTable({ schema: [{ name: 'A', type: 'string' }], results: [{ A: 1 }] }, GRAPH, GRAPH_KEYS)).to.deep.equal({ schema: [{ name: 'A', type: 'string' }], rows: [{ A: 1 }] });
      expect(huntingTable({ Schema: [{ Name: 'A', Type: 'Int64' }], Results: [] }, GRAPH, LEGACY_KEYS)).to.deep.equal({ schema: [{ name: 'A', type: 'Int64' }], rows: [] });
      expect(huntingTable({ Schema: [{ Name: 'A' }], Results: [{}] }, GRAPH, GRAPH_KEYS)).to.deep.equal({ schema: [{ name: 'A', type: '' }], rows: [{}] });
    });

    it('refuses what is not a table: no schema or results, lists that are not lists, columns without a name, rows that are not objects', () => {
      const cases: Array<[unknown, RegExp]> = [
        [{}, /with an object without 'schema' \(it has no keys\); expected a JSON object with a 'schema' list of columns and a 'results' list of rows\.$/],
        [{ value: null }, /an object without 'schema' \(it has key 'value'\)/],
        [{ schema: [] }, /an object without 'results' \(it has key 'schema'\)/],
        [[], /with a list \(0 items\)/],
        [undefined, /with an empty body/],
        [null, /with null;/],
        [{ schema: null, results: [] }, /a 'schema' that is null/],
        [{ schema: [], results: {} }, /a 'results' that is an object/],
        [{ schema: ['A'], results: [] }, /column 1 of 'schema' being a string; expected each column to be an object with a name/],
        [{ schema: [{ name: 'A' }, { type: 'string' }], results: [] }, /column 2 of 'schema' without a name/],
        [{ schema: [{ name: 5 }], results: [] }, /column 1 of 'schema' without a name/],
        [{ schema: [], results: [{}, [1]] }, /row 2 of 'results' being a list; expected each row to be an object/],
      ];
      for (const [answer, message] of cases) expect(apiError(() => huntingTable(answer, GRAPH, GRAPH_KEYS)), JSON.stringify(answer)).to.match(message);
    });
  });
});
