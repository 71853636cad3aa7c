// The input's bytes and shape: UTF-8 only, and nesting bounded before anything recursive sees it.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { decodeInput, MAX_INPUT_DEPTH, nestingDepth, parseInputText, readRawInput } from '../../../lib/runtime/input';
import { actionErrorOf, syncActionErrorOf } from '../../support/errors';

const invalid = (fn: () => unknown): string => syncActionErrorOf('INVALID_INPUT', fn);

describe('the input: UTF-8 and bounded nesting', () => {
  it('decodes UTF-8 and refuses any other byte, naming where it is, instead of replacing it', () => {
    expect(decodeInput(Buffer.from('{"a":"事件 😀"}', 'utf8'), 'stdin')).to.equal('{"a":"事件 😀"}');
    const cases: Array<[number[], number]> = [
      [[0x7b, 0xff, 0x7d], 2], // a byte that is never UTF-8
      [[0x22, 0xc3, 0x28, 0x22], 3], // a lead byte without its continuation
      [[0x41, 0x80], 2], // a lone continuation byte
      [[0x41, 0xed, 0xa0, 0x80], 3], // an encoded surrogate (CESU-8)
      [[0x41, 0xc0, 0xaf], 2], // an overlong form of '/'
    ];
    for (const [bytes, at] of cases) {
      expect(invalid(() => decodeInput(Uint8Array.from(bytes), 'stdin')), JSON.stringify(bytes)).to.equal(
        `The input on stdin is not valid UTF-8 (byte ${at} of ${bytes.length}); send the JSON encoded as UTF-8.`,
      );
    }
    // a sequence cut off at the end
    expect(invalid(() => decodeInput(Uint8Array.from([0x41, 0xe4, 0xba]), 'stdin'))).to.equal('The input on stdin is not valid UTF-8; send the JSON encoded as UTF-8.');
  });

  it('reads stdin and an --input file as UTF-8 only', async () => {
    const stream = new PassThrough();
    const p = readRawInput({ kind: 'stdin' }, stream as unknown as NodeJS.ReadStream);
    stream.end(Buffer.from([...Buffer.from('{"case_id":"'), 0xff, ...Buffer.from('"}')]));
    expect(await actionErrorOf('INVALID_INPUT', () => p)).to.match(/^The input on stdin is not valid UTF-8 \(byte 13 of 15\)/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'input-utf8-'));
    const file = path.join(dir, 'in.json');
    fs.writeFileSync(file, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d])); // {"a":"é"} in Latin-1
    expect(await actionErrorOf('INVALID_INPUT', () => readRawInput({ kind: 'file', path: file }, process.stdin))).to.match(/^The input on --input file ".*in\.json" is not valid UTF-8 \(byte 8 of 9\)/);
    fs.writeFileSync(file, '\uFEFF{"a":"é"}');
    expect(await readRawInput({ kind: 'file', path: file }, process.stdin)).to.deep.equal({ a: 'é' });
  });

  it('counts nesting outside strings, in one pass', () => {
    expect(nestingDepth('{}')).to.equal(1);
    expect(nestingDepth('{"a":[1,{"b":[]}]}')).to.equal(4);
    expect(nestingDepth('{"a":"[[[[{{{{\\"[[[["}')).to.equal(1);
    expect(nestingDepth('{"a\\\\":[[]]}')).to.equal(3);
    expect(nestingDepth('[]'.repeat(1000))).to.equal(1);
  });

  it('refuses input nested thousands deep as INVALID_INPUT, not a stack overflow', () => {
    for (const n of [MAX_INPUT_DEPTH + 1, 5_000, 1_000_000]) {
      const text = `{"case_id":"1","state":${'['.repeat(n)}${']'.repeat(n)}}`;
      expect(invalid(() => parseInputText(text, 'stdin')), String(n)).to.equal(
        `The input on stdin nests arrays and objects ${n + 1} levels deep; at most ${MAX_INPUT_DEPTH} are taken. Give one JSON object keyed by parameter names.`,
      );
    }
    const deepObject = `{"target_entities":[{"AdditionalProperties":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}]}`;
    expect(invalid(() => parseInputText(deepObject, 'stdin'))).to.match(/nests arrays and objects 100003 levels deep/);
    const ok = `{"state":${'['.repeat(MAX_INPUT_DEPTH - 1)}${']'.repeat(MAX_INPUT_DEPTH - 1)}}`;
    expect(parseInputText(ok, 'stdin')).to.have.property('state');
  });
});
