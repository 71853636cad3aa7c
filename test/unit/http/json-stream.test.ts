// The JSON body parsed as it arrives (lib/http/json-stream.ts) must give what JSON.parse gives on the whole text, and
// refuse what JSON.parse refuses, however the text is cut into chunks: seeded property tests, then the edge cases.
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { JsonSplitter, readJsonBody } from '../../../lib/http/json-stream';
import { prng } from '../../support/prng';

function parseInChunks(text: string, r: () => number, maxChunk: number): unknown {
  const s = new JsonSplitter();
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(r() * maxChunk);
    s.write(text.slice(i, i + n));
    i += n;
  }
  return s.end();
}

/** JSON.parse's outcome and the splitter's, each as a comparable string (the value's own JSON, or 'throws'). */
function outcomes(text: string, r: () => number, maxChunk: number): [string, string] {
  const run = (f: () => unknown): string => {
    try {
      const v = f();
      return v === undefined ? 'undefined' : `value ${JSON.stringify(v)} ${Object.keys((v ?? {}) as object).join('|')}`;
    } catch (err) {
      expect(err).to.be.instanceOf(SyntaxError);
      return 'throws';
    }
  };
  const whole = run(() => (text.trim() === '' ? undefined : JSON.parse(text)));
  return [whole, run(() => parseInChunks(text, r, maxChunk))];
}

function jsonValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 0 ? 10 : 6));
  const str = (): string => {
    const parts = ['a', 'Z', ' ', ',', '[', ']', '{', '}', ':', '"', '\\', '\n', '\t', '\u0001', 'é', '☃', '𝄞', '\u2028', '\\"', '"]', '\u0000'];
    let s = '';
    for (let i = Math.floor(r() * 8); i > 0; i--) s += parts[Math.floor(r() * parts.length)];
    return s;
  };
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor(r() * 1e6) - 5e5;
    case 3: return r() * 1e-3;
    case 4: case 5: return str();
    case 6: case 7: return Array.from({ length: Math.floor(r() * 5) }, () => jsonValue(r, depth - 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 5); i > 0; i--) o[r() < 0.2 ? String(Math.floor(r() * 10)) : str()] = jsonValue(r, depth - 1);
      return o;
    }
  }
}

/** A hunting-like answer, or any JSON value, as text with random spacing. */
function jsonText(r: () => number): string {
  const v = r() < 0.5
    ? { schema: [{ name: 'A', type: 'String' }], results: Array.from({ length: Math.floor(r() * 20) }, () => jsonValue(r, 3)), stats: jsonValue(r, 2) }
    : jsonValue(r, 4);
  const text = JSON.stringify(v, null, [0, 0, 1, 2, '\t', ' \r\n'][Math.floor(r() * 6)]);
  return r() < 0.2 ? ` \n${text}\t ` : text;
}

const MUTATIONS = [',', ' ', '[', ']', '{', '}', ':', '"', '\\', '1', 'x', '\u00a0', '\ufeff', ''];

describe('JSON parsed as it arrives', () => {
  it('gives what JSON.parse gives, cut into chunks of any size', () => {
    const r = prng(0x15a0);
    for (let i = 0; i < 1500; i++) {
      const text = jsonText(r);
      const [whole, split] = outcomes(text, r, [1, 3, 17, 1000][i % 4]!);
      expect(split, `case ${i}: ${JSON.stringify(text).slice(0, 300)}`).to.equal(whole);
      expect(whole).not.to.equal('throws');
    }
  });

  it('refuses what JSON.parse refuses: random edits of valid JSON, and truncations', () => {
    const r = prng(0x15a1);
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      let text = jsonText(r);
      const at = Math.floor(r() * (text.length + 1));
      const edit = Math.floor(r() * 3);
      if (edit === 0) text = text.slice(0, at) + text.slice(at + 1); // delete a character
      else if (edit === 1) text = text.slice(0, at) + MUTATIONS[Math.floor(r() * MUTATIONS.length)] + text.slice(at); // insert one
      else text = text.slice(0, at); // truncate
      const [whole, split] = outcomes(text, r, [1, 5, 64][i % 3]!);
      expect(split, `case ${i}: ${JSON.stringify(text).slice(0, 300)}`).to.equal(whole);
      if (whole === 'throws') refused++;
    }
    expect(refused).to.be.greaterThan(1000);
  });

  it('handles the cases a splitter could get wrong', () => {
    const r = prng(1);
    const cases = [
      '', '  \n', '[]', '[ ]', '[,]', '[1,]', '[,1]', '[1,,2]', '[1 2]', '{"a":[]}', '{"a":[ ]}', '{"a":[1,]}', '{"a":[1}', '{"a":[{]}', '{"a":[[1}]}',
      '{"a":[1],"a":[2]}', '{"__proto__":[1],"b":{"__proto__":[2]}}', '{[1]:2}', '{"a" [1]}', '{"a":1 [1]}', '[1] [2]', '{"a":1}[1]', '"x"[1]',
      '\ufeff{"a":[1]}', '\ufeff[1]', '\ufeff', '{"a":"[1,2]","b":["\\"]",1]}', '{"a":{"b":[1,2]},"c":[3]}', '[[1,2],[3,[4]]]', '{"a":[1]',
      '{"results":["\u0000abc:0"]}', '["\\u0000"]', '{"a":[1]}}', '{"a":[1]]}', '[1]]', '{"a":[1]},', '{"a":\t[\n1\r,\n2\n]\n}',
    ];
    for (const text of cases) for (const n of [1, 2, 100]) {
      const [whole, split] = outcomes(text, r, n);
      expect(split, `${JSON.stringify(text)} in chunks of up to ${n}`).to.equal(whole);
    }
  });

  it('reads a body stream: characters split across chunks, an empty body, a body that is not JSON, a stream error', async () => {
    const feed = async (chunks: Buffer[]): Promise<unknown> => {
      const s = new PassThrough();
      const p = readJsonBody(s);
      for (const c of chunks) s.write(c);
      s.end();
      return p;
    };
    const bytes = Buffer.from(JSON.stringify({ results: [{ name: 'é☃𝄞', n: 1 }, { name: 'ü' }] }));
    const oneByOne = Array.from(bytes, (b) => Buffer.from([b]));
    expect(await feed(oneByOne)).to.deep.equal({ value: { results: [{ name: 'é☃𝄞', n: 1 }, { name: 'ü' }] } });
    expect(await feed([])).to.deep.equal({ value: undefined });
    expect(await feed([Buffer.from(' \r\n')])).to.deep.equal({ value: undefined });
    const bad = await feed([Buffer.from('{"results":[1,'), Buffer.from('<html>')]);
    expect(bad).to.have.property('invalid').that.is.a('string');
    expect(await readJsonBody(null)).to.deep.equal({ value: undefined });
    const s = new PassThrough();
    const p = readJsonBody(s);
    s.write('{"results":[');
    s.emit('error', Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    let caught: unknown;
    try { await p; } catch (err) { caught = err; }
    expect(caught).to.have.property('code', 'ERR_STREAM_PREMATURE_CLOSE');
  });
});
