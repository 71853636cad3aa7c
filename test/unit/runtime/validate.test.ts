import { expect } from 'chai';
import { syncActionErrorOf } from '../../support/errors';
import { coerceInput, validateInput } from '../../../lib/runtime/validate';
import { spec } from '../../fixtures/pkg/lib/generated/actions/echo.spec';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../support/paths';
import { spec as updateSpec } from '../../../lib/generated/actions/update-incident.spec';
import { spec as commentSpec } from '../../../lib/generated/actions/add-comment-to-incident.spec';
import { spec as searchSpec } from '../../../lib/generated/actions/search-incidents.spec';
import { spec as customQuerySpec } from '../../../lib/generated/actions/execute-custom-query.spec';

const BASE = { case_id: '42', alert_group_identifiers: [], message: 'hi' };

const invalid = (raw: Record<string, unknown>): string => syncActionErrorOf('INVALID_INPUT', () => validateInput(spec, raw));

describe('input validation (precompiled validator + coercion)', () => {
  it('fills defaults', () => {
    const p = validateInput(spec, { ...BASE });
    expect(p).to.deep.include({ count: 1, loud: false, mode: 'Plain', sleep_ms: 0, target_entities: [], scope: 'All entities' });
  });

  it('converts numbers and booleans sent as strings', () => {
    const p = validateInput(spec, { ...BASE, count: '3', loud: 'TRUE', leak_secrets: ' false ', sleep_ms: '+0' });
    expect(p).to.deep.include({ count: 3, loud: true, leak_secrets: false, sleep_ms: 0 });
  });

  it('takes a drop-down value as a string or a one-element list, in any case', () => {
    expect(validateInput(spec, { ...BASE, mode: ['Upper'] }).mode).to.equal('Upper');
    expect(validateInput(spec, { ...BASE, mode: 'upper' }).mode).to.equal('Upper');
    expect(validateInput(spec, { ...BASE, mode: ['PLAIN'] }).mode).to.equal('Plain');
    expect(invalid({ ...BASE, mode: ['Plain', 'Upper'] })).to.equal(`Parameter 'mode' must be a string; got ["Plain","Upper"].`);
  });

  it('treats a blank number, boolean or drop-down as not given', () => {
    const p = validateInput(spec, { ...BASE, count: '', loud: ' ', mode: [''] });
    expect(p).to.deep.include({ count: 1, loud: false, mode: 'Plain' });
    expect(invalid({ ...BASE, sleep_ms: [''] })).to.equal(`Parameter 'sleep_ms' must be a whole number (e.g. "50"); got [""].`);
    expect(invalid({ ...BASE, message: '' })).to.equal(`Parameter 'message' must not be empty.`);
  });

  it('does not convert what is not exactly a number or a boolean', () => {
    expect(invalid({ ...BASE, count: '3.5' })).to.equal(`Parameter 'count' must be a whole number (e.g. "50"); got "3.5".`);
    expect(invalid({ ...BASE, count: '0x10' })).to.match(/Parameter 'count' must be a whole number/);
    expect(invalid({ ...BASE, count: '99999999999999999999' })).to.match(/Parameter 'count' must be a whole number/);
    expect(invalid({ ...BASE, loud: 'yes' })).to.equal(`Parameter 'loud' must be true or false; got "yes".`);
    expect(invalid({ ...BASE, message: 5 })).to.equal(`Parameter 'message' must be a string; got 5.`);
  });

  it('names unknown keys, with the valid ones', () => {
    expect(invalid({ ...BASE, mesage: 'typo', extra: 1 })).to.match(/^Unknown parameters 'mesage', 'extra'; valid parameters: case_id, alert_group_identifiers, target_entities, scope, state, message, count, loud, mode, tag/);
  });

  it('names every missing required parameter', () => {
    expect(invalid({})).to.equal(`Missing required parameter 'case_id'. Missing required parameter 'alert_group_identifiers'. Missing required parameter 'message'.`);
  });

  it('says what would be valid: enum, range, pattern', () => {
    expect(invalid({ ...BASE, mode: 'Loud' })).to.equal(`Parameter 'mode' must be one of: Plain, Upper; got "Loud".`);
    expect(invalid({ ...BASE, count: '6' })).to.equal(`Parameter 'count' must be at most 5; got 6.`);
    expect(invalid({ ...BASE, count: 0 })).to.equal(`Parameter 'count' must be at least 1; got 0.`);
    expect(invalid({ ...BASE, tag: 'A1' })).to.equal(`Parameter 'tag' is not valid: "A1" (lower-case letters only).`);
  });

  it('checks target entities, converting their flags and naming the place of a problem', () => {
    const p = validateInput(spec, { ...BASE, target_entities: [{ Identifier: '1.2.3.4', EntityType: 'ADDRESS', IsSuspicious: 'true', IsInternal: 'False', Extra: 1 }] });
    expect(p.target_entities[0]).to.deep.equal({ Identifier: '1.2.3.4', EntityType: 'ADDRESS', IsSuspicious: true, IsInternal: false, Extra: 1 });
    expect(invalid({ ...BASE, target_entities: [{ Identifier: 'a', EntityType: 'HOST' }, { EntityType: 'HOST' }] })).to.equal(`target_entities[1] is missing 'Identifier'.`);
    expect(invalid({ ...BASE, target_entities: [{ Identifier: 'a', EntityType: 'HOST', IsSuspicious: 'sure' }] })).to.equal(`target_entities[0].IsSuspicious must be true or false; got "sure".`);
    expect(invalid({ ...BASE, target_entities: 'a' })).to.equal(`Parameter 'target_entities' must be a list; got "a".`);
    expect(invalid({ ...BASE, alert_group_identifiers: [1] })).to.equal(`alert_group_identifiers[0] must be a string; got 1.`);
  });

  it('does not change the caller\'s object', () => {
    const raw = { ...BASE, count: '2' };
    const out = coerceInput(raw, spec.inputSchema);
    expect(raw.count).to.equal('2');
    expect(out['count']).to.equal(2);
  });

  it('is not fooled by keys on the prototype chain', () => {
    expect(invalid({ ...BASE, constructor: 'x', toString: 'y' })).to.match(/^Unknown parameters 'constructor', 'toString'/);
    expect(invalid(JSON.parse('{"case_id":"1","alert_group_identifiers":[],"message":"m","__proto__":{"count":9}}'))).to.match(/^Unknown parameter '__proto__'/);
  });

  describe('one text rule for every text parameter of every action', () => {
    const UPDATE = { case_id: '42', alert_group_identifiers: [], incident_id: '7' };
    const invalidFor = (sp: Parameters<typeof validateInput>[0], raw: Record<string, unknown>): string => syncActionErrorOf('INVALID_INPUT', () => validateInput(sp, raw));

    it('refuses control characters (tab and line breaks allowed) and lone surrogates, naming the parameter and the place', () => {
      for (const [c, where] of [['\u0000', 'U+0000'], ['\u0007', 'U+0007'], ['\u001B', 'U+001B'], ['\u007F', 'U+007F'], ['\u0085', 'U+0085'], ['\u2028', 'U+2028']]) {
        expect(invalidFor(updateSpec, { ...UPDATE, assign_to: `bob${c}@contoso.com` })).to.equal(
          `Parameter 'assign_to' contains the control character ${where} at position 4; remove it (tabs and line breaks are allowed).`,
        );
      }
      expect(invalidFor(commentSpec, { ...UPDATE, comment: 'half an emoji \uD83D' })).to.equal("Parameter 'comment' contains an unpaired UTF-16 surrogate (U+D83D) at position 15; give valid Unicode text.");
      expect(invalidFor(updateSpec, { ...UPDATE, tags: 'a,\uDE00b' })).to.match(/^Parameter 'tags' contains an unpaired UTF-16 surrogate \(U\+DE00\) at position 3/);
      expect(invalidFor(searchSpec, { case_id: '1', alert_group_identifiers: [], assigned_to: 'x\u0000' })).to.match(/^Parameter 'assigned_to' contains the control character U\+0000/);
      // the context too, and the strings of a list
      expect(invalid({ ...BASE, case_id: 'c\u0001' })).to.match(/^Parameter 'case_id' contains the control character U\+0001 at position 2/);
      expect(invalid({ ...BASE, alert_group_identifiers: ['ok', 'b\u0000d'] })).to.match(/^alert_group_identifiers\[1\] contains the control character U\+0000 at position 2/);
      // what is allowed: tabs, line breaks, any valid Unicode, a surrogate pair
      const ok = validateInput(commentSpec, { ...UPDATE, comment: 'line one\r\n\tline two — 事件 😀 "quotes" \\ %00' });
      expect(ok.comment).to.equal('line one\r\n\tline two — 事件 😀 "quotes" \\ %00');
    });

    it('names every problem at once: the schema\'s and the text rule\'s', () => {
      expect(invalidFor(updateSpec, { ...UPDATE, status: 5, assign_to: 'a\u0000' })).to.equal("Parameter 'status' must be a string; got 5. Parameter 'assign_to' contains the control character U+0000 at position 2; remove it (tabs and line breaks are allowed).");
    });

    it('bounds each text by Microsoft\'s limits or the package\'s: assign_to 320, a comment 30,000, a query 100,000', () => {
      expect(invalidFor(updateSpec, { ...UPDATE, assign_to: `${'a'.repeat(310)}@contoso.com` })).to.equal("Parameter 'assign_to' must have at most 320 characters; got 322.");
      expect(validateInput(updateSpec, { ...UPDATE, assign_to: `${'a'.repeat(308)}@contoso.com` }).assign_to).to.have.length(320);
      expect(invalidFor(updateSpec, { ...UPDATE, assign_to: 'x'.repeat(10 * 1024 * 1024) })).to.equal(`Parameter 'assign_to' must have at most 320 characters; got ${10 * 1024 * 1024}.`);
      expect(invalidFor(searchSpec, { case_id: '1', alert_group_identifiers: [], assigned_to: 'b'.repeat(321) })).to.match(/^Parameter 'assigned_to' must have at most 320 characters/);
      expect(invalidFor(commentSpec, { ...UPDATE, comment: 'c'.repeat(30_001) })).to.equal("Parameter 'comment' must have at most 30000 characters; got 30001.");
      expect(validateInput(commentSpec, { ...UPDATE, comment: 'c'.repeat(30_000) }).comment).to.have.length(30_000);
      expect(invalidFor(customQuerySpec, { case_id: '1', alert_group_identifiers: [], query: 'T'.repeat(100_001) })).to.match(/^Parameter 'query' must have at most 100000 characters/);
    });

    it('bounds a tag list item by item: at most 50 tags, each at most 128 characters, the whole 8,000', () => {
      const tags = (n: number, len = 3) => Array.from({ length: n }, (_, i) => `${i}`.padStart(len, 't')).join(', ');
      expect(validateInput(updateSpec, { ...UPDATE, tags: tags(50, 128) }).tags).to.be.a('string');
      expect(invalidFor(updateSpec, { ...UPDATE, tags: tags(51) })).to.equal("Parameter 'tags' has 51 items; give at most 50.");
      expect(invalidFor(updateSpec, { ...UPDATE, tags: `ok, ${'x'.repeat(129)}` })).to.match(/^Parameter 'tags' has an item of 129 characters \("x{76}\.\.\.\); each may have at most 128\.$/);
      expect(invalidFor(updateSpec, { ...UPDATE, tags: 'x'.repeat(10 * 1024 * 1024) })).to.match(/^Parameter 'tags' must have at most 8000 characters/);
    });

    it('gives every text parameter of every action a length limit, the default one when its schema names none', () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'manifest/manifest.json'), 'utf8')) as { actions: Array<{ id: string; parameters: string }> };
      const context = Object.keys((JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas/common/context.schema.json'), 'utf8')) as { properties: object }).properties);
      let checked = 0;
      for (const a of manifest.actions) {
        const generated = require(path.join(repoRoot, 'build/lib/generated/actions', `${a.id}.spec.js`)) as { spec: { inputSchema: { properties: Record<string, { type?: unknown; maxLength?: number; enum?: unknown }> } } };
        const own = (JSON.parse(fs.readFileSync(path.join(repoRoot, a.parameters), 'utf8')) as { properties: Record<string, { maxLength?: number }> }).properties;
        for (const [name, prop] of Object.entries(generated.spec.inputSchema.properties)) {
          if (context.includes(name) || prop.type !== 'string' || prop.enum) continue;
          expect(prop.maxLength, `${a.id}.${name}`).to.be.a('number');
          expect(prop.maxLength, `${a.id}.${name}`).to.equal(own[name]!.maxLength ?? 1024);
          checked++;
        }
      }
      expect(checked).to.be.greaterThan(30);
      // the default bites: a parameter whose schema gives none (the fixture's `tag`)
      expect(invalid({ ...BASE, tag: 'a'.repeat(1025) })).to.equal("Parameter 'tag' must have at most 1024 characters; got 1025.");
    });
  });
});
