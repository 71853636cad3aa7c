import { expect } from 'chai';
import { syncActionErrorOf } from '../../support/errors';
import { coerceInput, validateInput } from '../../../lib/runtime/validate';
import { spec } from '../../fixtures/pkg/lib/generated/actions/echo.spec';

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
});
