// Update Incident and Add Comment To Incident end to end: the built action processes against the emulator, on both API
// families. What reached the service is read from the emulator's request log; what the service now holds is read
// through the *other* API family's face (in process, so it costs no request and no quota).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Emulator, RequestLogEntry } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import type { FaceRequest } from '../emulator/tenant/api';
import { LEGACY_CLASSIFICATION, LEGACY_DETERMINATION, LEGACY_STATUS } from '../emulator/tenant/model';
import { CLASSIFICATIONS, DETERMINATIONS_BY_CLASSIFICATION, label, type Classification, type Determination } from '../../lib/defender/model';
import { checkedRunner, cleanEnv, entryOf, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';

const UPDATE = entryOf('update-incident', repoRoot);
const COMMENT = entryOf('add-comment-to-incident', repoRoot);
const CONTEXT = { case_id: 'write-case', alert_group_identifiers: [] };

type Flavor = 'graph' | 'defender';
type Json = Record<string, any>;

/** Every valid classification/determination pair of Microsoft's table. */
const VALID_PAIRS: Array<[Classification, Determination]> = CLASSIFICATIONS.flatMap((c) => DETERMINATIONS_BY_CLASSIFICATION[c].map((d): [Classification, Determination] => [c, d]));

/**
 * The subset run on the Defender XDR API: each classification its PATCH takes, `other` under two of them, the
 * determinations it names differently (Clean, NoEnoughDataToValidate). Unknown / Unknown has its own test there.
 */
const DEFENDER_PAIRS: Array<[Classification, Determination]> = [
  ['truePositive', 'multiStagedAttack'],
  ['truePositive', 'compromisedAccount'],
  ['informationalExpectedActivity', 'lineOfBusinessApplication'],
  ['informationalExpectedActivity', 'other'],
  ['falsePositive', 'notMalicious'],
  ['falsePositive', 'notEnoughDataToValidate'],
  ['falsePositive', 'other'],
];

/** Pairs that do not fit, as a user would type them, with the classification's allowed determinations. */
const INVALID_PAIRS: Array<[string, string, Classification, string]> = [
  ['False Positive', 'Malware', 'falsePositive', 'Malware'],
  ['true positive', 'Not Malicious', 'truePositive', 'Not Malicious'],
  ['Informational, Expected Activity', 'phishing', 'informationalExpectedActivity', 'Phishing'],
  ['TruePositive', 'Security Test', 'truePositive', 'Security Test'],
  ['falsePositive', 'Line-of-Business Application', 'falsePositive', 'Line-of-Business Application'],
  ['Unknown', 'Other', 'unknown', 'Other'],
  ['True Positive', 'APT', 'truePositive', 'APT'],
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const allowedLabels = (c: Classification): string => DETERMINATIONS_BY_CLASSIFICATION[c].map(label).join(', ');

describe('Update Incident and Add Comment To Incident against the emulator', function () {
  this.timeout(60_000);
  const emulator = useEmulator({ seed: 5, incidents: 10, quotas: false }, 'incidents-write');
  const freshState = emulator.freshState;
  const lastSeq = emulator.lastSeq;
  let em: Emulator;
  before(() => (em = emulator.em));

  const apiRequests = (since: number): RequestLogEntry[] => em.requests(since).filter((r) => r.path.startsWith('/v1.0/') || r.path.startsWith('/api/'));
  const patches = (since: number): RequestLogEntry[] => em.requests(since).filter((r) => r.method === 'PATCH');

  /** A new incident in the emulator; its id. */
  const newIncident = (fields: Record<string, unknown> = {}): string => String(em.addIncident({ displayName: 'Write test', severity: 'medium', ...fields })['id']);

  /** The incident as the given API family's face shows it now (Graph or legacy shape), without a request. */
  function through(flavor: Flavor, id: string): Json {
    const req: FaceRequest = {
      method: 'GET',
      path: flavor === 'graph' ? `/v1.0/security/incidents/${id}` : `/api/incidents/${id}`,
      rawQuery: '',
      rawBody: '',
      headers: {},
      origin: em.origin,
      caller: { clientId: 'incidents-write-test', appDisplayName: 'incidents-write-test', roles: new Set(['SecurityIncident.Read.All', 'Incident.Read.All']), tenantId: em.tenantId },
      now: em.now(),
    };
    const r = flavor === 'graph' ? em.tenant.graph(req) : em.tenant.defender(req);
    expect(r?.status, JSON.stringify(r?.body)).to.equal(200);
    return r!.body as Json;
  }

  const run = checkedRunner(CONTEXT);
  const expectFailure = (r: RunResult, code: string, message: RegExp) => {
    expect(r.result['status'], r.stdout).to.equal('failed');
    expect(r.result['error'].code, r.stdout).to.equal(code);
    expect(r.result['error'].message).to.match(message);
  };
  const expectCompleted = (r: RunResult) => {
    expect(r.result['status'], r.stdout).to.equal('completed');
    expect(r.code).to.equal(0);
    expect(r.result['result_value']).to.equal(true);
  };

  const families: Array<{ name: string; flavor: Flavor; other: Flavor; env: () => Record<string, string>; writePermission: string; pairs: () => Array<[Classification, Determination]> }> = [
    { name: 'Microsoft Graph', flavor: 'graph', other: 'defender', env: () => ({ ...em.env }), writePermission: 'SecurityIncident.ReadWrite.All', pairs: () => VALID_PAIRS },
    { name: 'Defender XDR', flavor: 'defender', other: 'graph', env: () => ({ ...em.legacyEnv }), writePermission: 'Incident.ReadWrite.All', pairs: () => DEFENDER_PAIRS },
  ];

  it('the table has the 15 valid pairs the tests run through', () => {
    expect(VALID_PAIRS).to.have.length(15);
    for (const p of DEFENDER_PAIRS) expect(VALID_PAIRS).to.deep.include(p);
  });

  for (const family of families) {
    describe(family.name, () => {
      let state: string;
      before(() => (state = freshState()));
      const env = (extra: Record<string, string | undefined> = {}) => ({ ...family.env(), M365D_STATE_DIR: state, ...extra });
      const update = (input: Record<string, unknown>, extra: Record<string, string | undefined> = {}) => run(UPDATE, env(extra), input);
      const comment = (input: Record<string, unknown>, extra: Record<string, string | undefined> = {}) => run(COMMENT, env(extra), input);
      /** the other face's view of an incident, in Graph's names */
      const otherView = (id: string) => {
        const o = through(family.other, id);
        if (family.other === 'graph') return { status: o['status'], classification: o['classification'], determination: o['determination'], assignedTo: o['assignedTo'], tags: o['customTags'], comments: (o['comments'] as Json[]).map((c) => c['comment']) };
        return { status: o['status'], classification: o['classification'], determination: o['determination'], assignedTo: o['assignedTo'] ?? null, tags: o['tags'], comments: (o['comments'] as Json[]).map((c) => c['comment']) };
      };
      /** expected values in the other face's names */
      const inOther = {
        status: (s: string) => (family.other === 'graph' ? s : LEGACY_STATUS[s]),
        classification: (c: string) => (family.other === 'graph' ? c : LEGACY_CLASSIFICATION[c]),
        determination: (d: string) => (family.other === 'graph' ? d : LEGACY_DETERMINATION[d]),
      };
      const ownPatchPath = (id: string) => (family.flavor === 'graph' ? `/v1.0/security/incidents/${id}` : `/api/incidents/${id}`);
      const commentPath = (id: string) => (family.flavor === 'graph' ? `/v1.0/security/incidents/${id}/comments` : `/api/incidents/${id}`);
      const commentMethod = family.flavor === 'graph' ? 'POST' : 'PATCH';

      describe('Update Incident', () => {
        it('changes the status alone, says so in Microsoft\'s words, and the other API family sees it', async () => {
          const id = newIncident({ status: 'active' });
          const seq = lastSeq();
          const r = await update({ incident_id: id, status: 'In Progress' });
          expectCompleted(r);
          expect(r.result['output_message']).to.equal(`Incident ${id} updated: status In Progress.`);
          expect(r.result['json_result'].changes).to.deep.equal(['status In Progress']);
          expect(r.result['json_result'].incident).to.include({ id, status: 'inProgress', classification: 'unknown', determination: 'unknown' });
          expect(otherView(id).status).to.equal(inOther.status('inProgress'));
          const sent = patches(seq);
          expect(sent.map((p) => `${p.method} ${p.path} ${p.status}`)).to.deep.equal([`PATCH ${ownPatchPath(id)} 200`]);
        });

        it('takes Microsoft\'s values and friendly labels in any case or spacing', async () => {
          const a = newIncident({ status: 'active' });
          expect((await update({ incident_id: a, status: 'inprogress' })).result['json_result'].incident.status).to.equal('inProgress');
          expect((await update({ incident_id: a, status: 'RESOLVED' })).result['json_result'].incident.status).to.equal('resolved');
          expect(otherView(a).status).to.equal(inOther.status('resolved'));

          const b = newIncident();
          const r = await update({ incident_id: b, classification: 'TRUE POSITIVE', determination: 'Multi-staged attack' });
          expectCompleted(r);
          expect(r.result['output_message']).to.equal(`Incident ${b} updated: classification True Positive, determination Multi-staged attack.`);
          expect(r.result['json_result'].incident).to.include({ classification: 'truePositive', determination: 'multiStagedAttack' });
          expect(otherView(b)).to.include({ classification: inOther.classification('truePositive'), determination: inOther.determination('multiStagedAttack') });

          // legacy Defender XDR names ("Clean", "InsufficientData") and Graph camelCase
          const c = newIncident();
          const clean = await update({ incident_id: c, classification: 'falsepositive', determination: 'Clean' });
          expect(clean.result['json_result'].incident).to.include({ classification: 'falsePositive', determination: 'notMalicious' });
          expect(clean.result['output_message']).to.equal(`Incident ${c} updated: classification False Positive, determination Not Malicious.`);
          const insufficient = await update({ incident_id: c, determination: 'InsufficientData' });
          expect(insufficient.result['json_result'].incident).to.include({ classification: 'falsePositive', determination: 'notEnoughDataToValidate' });
          expect(otherView(c)).to.include({ classification: inOther.classification('falsePositive'), determination: inOther.determination('notEnoughDataToValidate') });

          const d = newIncident();
          const iea = await update({ incident_id: d, classification: 'informational, expected activity', determination: 'line_of_business_application' });
          expect(iea.result['json_result'].incident).to.include({ classification: 'informationalExpectedActivity', determination: 'lineOfBusinessApplication' });
        });

        it('changes the classification alone, then the determination alone', async () => {
          const id = newIncident();
          const cls = await update({ incident_id: id, classification: 'True Positive' });
          expectCompleted(cls);
          expect(cls.result['output_message']).to.equal(`Incident ${id} updated: classification True Positive.`);
          expect(cls.result['json_result'].incident).to.include({ classification: 'truePositive' });
          expect(otherView(id).classification).to.equal(inOther.classification('truePositive'));

          const det = await update({ incident_id: id, determination: 'Malware' });
          expectCompleted(det);
          expect(det.result['output_message']).to.equal(`Incident ${id} updated: determination Malware.`);
          expect(det.result['json_result'].incident).to.include({ classification: 'truePositive', determination: 'malware' });
          expect(otherView(id)).to.include({ classification: inOther.classification('truePositive'), determination: inOther.determination('malware') });
        });

        it('assigns the incident alone', async () => {
          const id = newIncident();
          const r = await update({ incident_id: id, assign_to: '  secop2@contoso.com ' });
          expectCompleted(r);
          expect(r.result['output_message']).to.equal(`Incident ${id} updated: assigned to secop2@contoso.com.`);
          expect(r.result['json_result'].incident.assignedTo).to.equal('secop2@contoso.com');
          expect(otherView(id).assignedTo).to.equal('secop2@contoso.com');
        });

        it('adds tags and keeps the ones the incident has (compared without case)', async () => {
          const id = newIncident({ customTags: ['Existing', 'keep me'] });
          const r = await update({ incident_id: id, tags: 'phish-campaign, existing,\nVIP ,, phish-campaign' });
          expectCompleted(r);
          expect(r.result['output_message']).to.equal(`Incident ${id} updated: tags +phish-campaign, +VIP.`);
          expect(r.result['json_result'].incident.customTags).to.deep.equal(['Existing', 'keep me', 'phish-campaign', 'VIP']);
          expect(otherView(id).tags).to.deep.equal(['Existing', 'keep me', 'phish-campaign', 'VIP']);
          // tags it has already: nothing to change, and a step run again does not fail
          const seq = lastSeq();
          const again = await update({ incident_id: id, tags: 'EXISTING, vip' });
          expectCompleted(again);
          expect(again.result['output_message']).to.match(/^Incident \d+ already is as asked .*; nothing had to change, so no update was sent\.$/);
          expect(again.result['json_result'].changes).to.deep.equal([]);
          expect(patches(seq)).to.deep.equal([]);
        });

        it('changes every field at once, in one PATCH, and names each change', async () => {
          const id = newIncident({ status: 'active', customTags: ['old'] });
          const seq = lastSeq();
          const r = await update({ incident_id: id, status: 'Resolved', classification: 'True Positive', determination: 'Compromised Account', assign_to: 'analyst@contoso.com', tags: 'new' });
          expectCompleted(r);
          expect(r.result['output_message']).to.equal(`Incident ${id} updated: status Resolved, classification True Positive, determination Compromised Account, assigned to analyst@contoso.com, tags +new.`);
          expect(r.result['json_result'].changes).to.deep.equal(['status Resolved', 'classification True Positive', 'determination Compromised Account', 'assigned to analyst@contoso.com', 'tags +new']);
          expect(r.result['json_result'].incident).to.include({ id, status: 'resolved', classification: 'truePositive', determination: 'compromisedAccount', assignedTo: 'analyst@contoso.com' });
          expect(r.result['json_result'].incident.customTags).to.deep.equal(['old', 'new']);
          expect(otherView(id)).to.deep.include({
            status: inOther.status('resolved'), classification: inOther.classification('truePositive'), determination: inOther.determination('compromisedAccount'),
            assignedTo: 'analyst@contoso.com', tags: ['old', 'new'],
          });
          expect(patches(seq)).to.have.length(1);
        });

        it('"Incident N updated: status Resolved, classification True Positive"', async () => {
          const id = newIncident({ status: 'inProgress' });
          const r = await update({ incident_id: ` ${id} `, status: 'resolved', classification: 'truepositive' });
          expect(r.result['output_message']).to.equal(`Incident ${id} updated: status Resolved, classification True Positive.`);
        });

        for (const [c, d] of family.pairs()) {
          it(`sets the valid pair ${label(c)} / ${label(d)}`, async () => {
            // start from a classification and determination both differ from
            const id = c === 'unknown' ? newIncident({ classification: 'truePositive', determination: 'malware' }) : newIncident();
            const seq = lastSeq();
            const r = await update({ incident_id: id, classification: label(c), determination: label(d) });
            expectCompleted(r);
            expect(r.result['output_message']).to.equal(`Incident ${id} updated: classification ${label(c)}, determination ${label(d)}.`);
            expect(r.result['json_result'].incident).to.include({ classification: c, determination: d });
            expect(otherView(id)).to.include({ classification: inOther.classification(c), determination: inOther.determination(d) });
            expect(patches(seq)).to.have.length(1);
          });
        }

        if (family.flavor === 'defender') {
          it('refuses Unknown / Unknown (clearing a classification), which its PATCH does not take, before the PATCH', async () => {
            const id = newIncident({ classification: 'truePositive', determination: 'malware' });
            const seq = lastSeq();
            const r = await update({ incident_id: id, classification: 'Unknown', determination: 'unknown' });
            expect(r.code, r.stdout).to.equal(2);
            expectFailure(r, 'INVALID_INPUT', /^Classification 'Unknown' \(no classification\) cannot be set through the Defender XDR API, which takes True Positive; Informational, Expected Activity; False Positive; clear a classification through Microsoft Graph\.$/);
            expect(em.requests(seq), 'refused before the read').to.deep.equal([]);
            expect(otherView(id)).to.include({ classification: 'truePositive', determination: 'malware' });
          });
        }

        it('refuses pairs that do not fit: exit 2 naming both and the allowed ones, before anything is sent', async () => {
          const id = newIncident({ classification: 'truePositive', determination: 'malware', status: 'active' });
          for (const [cls, det, c, detLabel] of INVALID_PAIRS) {
            const seq = lastSeq();
            const r = await update({ incident_id: id, status: 'Resolved', classification: cls, determination: det });
            expect(r.code, r.stdout).to.equal(2);
            expectFailure(r, 'INVALID_INPUT', new RegExp(`^Classification '${escape(label(c))}' does not allow determination '${escape(detLabel)}'.*; allowed: ${escape(allowedLabels(c))}`));
            expect(em.requests(seq), `${cls} / ${det}`).to.deep.equal([]);
          }
          expect(otherView(id)).to.include({ status: inOther.status('active'), classification: inOther.classification('truePositive'), determination: inOther.determination('malware') });
        });

        it('checks a determination given alone against the incident\'s current classification: after the read, so exit 1', async () => {
          const fp = newIncident({ classification: 'falsePositive', determination: 'notMalicious' });
          let seq = lastSeq();
          const bad = await update({ incident_id: fp, determination: 'Malware' });
          expect(bad.code, 'the GET was sent').to.equal(1);
          expect(apiRequests(seq).map((q) => q.method)).to.deep.equal(['GET']);
          expectFailure(bad, 'INVALID_INPUT', new RegExp(`^Classification 'False Positive' does not allow determination 'Malware'; allowed: ${escape(allowedLabels('falsePositive'))}`));
          expect(patches(seq)).to.deep.equal([]);

          const unclassified = newIncident();
          seq = lastSeq();
          const none = await update({ incident_id: unclassified, determination: 'Phishing' });
          expect(none.code).to.equal(1);
          expectFailure(none, 'INVALID_INPUT', /^Classification 'Unknown' does not allow determination 'Phishing'; allowed: Unknown/);
          expect(patches(seq)).to.deep.equal([]);

          // one that fits is sent with the classification it belongs to
          seq = lastSeq();
          const ok = await update({ incident_id: fp, determination: 'not enough data to validate' });
          expectCompleted(ok);
          expect(ok.result['json_result'].changes).to.deep.equal(['determination Not Enough Data To Validate']);
          expect(ok.result['json_result'].incident).to.include({ classification: 'falsePositive', determination: 'notEnoughDataToValidate' });
          expect(patches(seq)).to.have.length(1);
        });

        it('refuses a classification change the current determination does not fit, listing the determinations to give', async () => {
          const id = newIncident({ classification: 'truePositive', determination: 'malware' });
          const seq = lastSeq();
          const r = await update({ incident_id: id, classification: 'False Positive' });
          expect(r.code, 'found after the GET').to.equal(1);
          expectFailure(r, 'INVALID_INPUT', new RegExp(`^Classification 'False Positive' does not allow the incident's current determination 'Malware'; give a determination too: ${escape(allowedLabels('falsePositive'))}\\.$`));
          expect(patches(seq)).to.deep.equal([]);
          expect(otherView(id)).to.include({ classification: inOther.classification('truePositive'), determination: inOther.determination('malware') });
          // `other` belongs to both: that change goes through
          const other = newIncident({ classification: 'truePositive', determination: 'other' });
          const ok = await update({ incident_id: other, classification: 'Informational, Expected Activity' });
          expectCompleted(ok);
          expect(otherView(other)).to.include({ classification: inOther.classification('informationalExpectedActivity'), determination: inOther.determination('other') });
        });

        it('completes an update that finds the incident already as asked (a step run again): result true, nothing sent but the read', async () => {
          const id = newIncident({ status: 'resolved', classification: 'truePositive', determination: 'phishing', assignedTo: 'me@contoso.com', customTags: ['t1'] });
          const input = { incident_id: id, status: 'Resolved', classification: 'TruePositive', determination: 'phishing', assign_to: 'me@contoso.com', tags: 'T1' };
          for (let time = 0; time < 2; time++) {
            const seq = lastSeq();
            const r = await update(input);
            expectCompleted(r);
            expect(r.result['output_message']).to.equal(`Incident ${id} already is as asked (status Resolved, classification True Positive, determination Phishing, assigned to me@contoso.com); nothing had to change, so no update was sent.`);
            expect(r.result['json_result'].changes).to.deep.equal([]);
            expect(r.result['json_result'].incident).to.include({ id, status: 'resolved', classification: 'truePositive', determination: 'phishing' });
            expect(apiRequests(seq).map((q) => q.method)).to.deep.equal(['GET']);
          }
          // a playbook step run twice: the first changes, the second finds it done
          const fresh = newIncident({ status: 'active' });
          expect((await update({ incident_id: fresh, status: 'Resolved' })).result['output_message']).to.equal(`Incident ${fresh} updated: status Resolved.`);
          const second = await update({ incident_id: fresh, status: 'Resolved' });
          expectCompleted(second);
          expect(second.result['output_message']).to.match(/already is as asked .*nothing had to change/);
        });

        it('says what Microsoft\'s answer shows, and a merge into another incident', async () => {
          const target = newIncident({ status: 'active' });
          const merged = newIncident({ status: 'active' });
          em.updateIncident(merged, { redirectTo: target });
          const r = await update({ incident_id: merged, assign_to: 'analyst@contoso.com' });
          expectCompleted(r);
          expect(r.result['output_message']).to.equal(
            `Incident ${merged} updated: assigned to analyst@contoso.com. Microsoft's answer shows incident ${merged} merged into incident ${target} (status Redirected); the merged case is incident ${target}.`,
          );
          expect(r.result['json_result'].incident).to.include({ id: merged, status: 'redirected', redirectIncidentId: target });
        });

        it('takes an incident number with leading zeros as the number Microsoft writes', async () => {
          const id = newIncident({ status: 'active' });
          const seq = lastSeq();
          const r = await update({ incident_id: `00${id}`, status: 'In Progress' });
          expectCompleted(r);
          expect(r.result['output_message']).to.equal(`Incident ${id} updated: status In Progress.`);
          expect(apiRequests(seq).map((q) => q.path)).to.deep.equal([family.flavor === 'graph' ? `/v1.0/security/incidents/${id}` : `/api/incidents/${id}`, ownPatchPath(id)]);
          const zero = await update({ incident_id: '0', status: 'In Progress' });
          expect(zero.code).to.equal(2);
          expectFailure(zero, 'INVALID_INPUT', /^Parameter 'incident_id' must be an incident number such as 42/);
        });

        it('refuses free text Microsoft would store before anything is sent: 10 MB, NUL, a lone surrogate, too many or too long tags', async () => {
          const id = newIncident({ status: 'active' });
          const cases: Array<[Record<string, unknown>, RegExp]> = [
            [{ assign_to: 'x'.repeat(10 * 1024 * 1024) }, /^Parameter 'assign_to' must have at most 320 characters; got 10485760\.$/],
            [{ tags: 't'.repeat(10 * 1024 * 1024) }, /^Parameter 'tags' must have at most 8000 characters; got 10485760\.$/],
            [{ assign_to: 'bob\u0000@contoso.com' }, /^Parameter 'assign_to' contains the control character U\+0000 at position 4/],
            [{ tags: 'ok, bad\uD800' }, /^Parameter 'tags' contains an unpaired UTF-16 surrogate \(U\+D800\) at position 8/],
            [{ tags: Array.from({ length: 51 }, (_, i) => `t${i}`).join(',') }, /^Parameter 'tags' has 51 items; give at most 50\.$/],
            [{ tags: `ok, ${'y'.repeat(129)}` }, /^Parameter 'tags' has an item of 129 characters/],
          ];
          for (const [input, message] of cases) {
            const seq = lastSeq();
            const r = await update({ incident_id: id, ...input });
            expect(r.code, String(message)).to.equal(2);
            expectFailure(r, 'INVALID_INPUT', message);
            expect(em.requests(seq), String(message)).to.deep.equal([]);
          }
          expect(otherView(id)).to.include({ assignedTo: null });
        });

        it('refuses a blank entity identifier and an unknown scope named after Object.prototype, before anything is sent', async () => {
          const id = newIncident({ status: 'active' });
          const seq = lastSeq();
          const blank = await update({ incident_id: id, status: 'Resolved', target_entities: [{ Identifier: '  ', EntityType: 'ADDRESS' }] });
          expect(blank.code).to.equal(2);
          expectFailure(blank, 'INVALID_INPUT', /^target_entities\[0\]\.Identifier is blank/);
          for (const scope of ['constructor', '__proto__']) {
            const r = await update({ incident_id: id, status: 'Resolved', scope });
            expect(r.code, scope).to.equal(2);
            expectFailure(r, 'INVALID_INPUT', new RegExp(`^Parameter 'scope' names '${scope}', which is not an entity type or scope`));
          }
          expect(em.requests(seq)).to.deep.equal([]);
          // an entity whose type is such a name is passed over like any other unknown type
          const odd = await update({ incident_id: id, status: 'Resolved', target_entities: [{ Identifier: 'x', EntityType: 'constructor' }] });
          expectCompleted(odd);
        });

        it('refuses no fields at all and a bad status before anything is sent', async () => {
          const id = newIncident();
          let seq = lastSeq();
          for (const blank of [{}, { status: '', assign_to: '   ', tags: ' , \n' }]) {
            const none = await update({ incident_id: id, ...blank });
            expect(none.code).to.equal(2);
            expectFailure(none, 'INVALID_INPUT', /^Nothing to update: give at least one of status, classification, determination, assign_to, tags\.$/);
          }
          expect(em.requests(seq)).to.deep.equal([]);

          seq = lastSeq();
          const closed = await update({ incident_id: id, status: 'Closed' });
          expect(closed.code).to.equal(2);
          expectFailure(closed, 'INVALID_INPUT', /^Parameter 'status' must be a status: one of Active, In Progress, Resolved; got 'Closed'\.$/);
          expect(em.requests(seq)).to.deep.equal([]);

          seq = lastSeq();
          const badDet = await update({ incident_id: id, classification: 'True Positive', determination: 'Ransomware' });
          expectFailure(badDet, 'INVALID_INPUT', /^Parameter 'determination' must be a determination: one of .*Multi-staged attack.*; got 'Ransomware'\.$/);
          expect(em.requests(seq)).to.deep.equal([]);
        });

        it('the read-only app: PERMISSION naming the write permission of this API family, nothing changed', async () => {
          const ro = em.app('readonly');
          const id = newIncident({ status: 'active' });
          const r = await update({ incident_id: id, status: 'Resolved' }, { M365D_CLIENT_ID: ro.clientId, M365D_CLIENT_SECRET: ro.clientSecret, M365D_STATE_DIR: freshState() });
          expect(r.code).to.equal(1);
          expectFailure(r, 'PERMISSION', new RegExp(`^The app lacks the ${escape(family.writePermission)} application permission .* needs on ${family.flavor === 'graph' ? 'Microsoft Graph' : 'the Defender XDR API'} `));
          expect(otherView(id).status).to.equal(inOther.status('active'));
        });

        it('a missing incident: NOT_FOUND naming it, nothing sent but the read', async () => {
          const seq = lastSeq();
          const r = await update({ incident_id: '987654321', status: 'Resolved' });
          expect(r.code).to.equal(1);
          expectFailure(r, 'NOT_FOUND', /987654321/);
          expect(apiRequests(seq).map((q) => `${q.method} ${q.status}`)).to.deep.equal(['GET 404']);
        });
      });

      describe('Add Comment To Incident', () => {
        const TEXT = 'Analyst said "contain it" — naïve café ✓ 事件\nsecond line\n\tindented, with \'single\' quotes & <tags>';

        it('adds the comment once, returns it in the list, and the other API family sees it', async () => {
          const id = newIncident();
          const before = otherView(id).comments.length;
          const seq = lastSeq();
          const r = await comment({ incident_id: id, comment: TEXT });
          expectCompleted(r);
          const sent = apiRequests(seq);
          expect(sent.map((q) => `${q.method} ${q.path} ${q.status}`)).to.deep.equal([`${commentMethod} ${commentPath(id)} 200`]);
          const json = r.result['json_result'];
          expect(json.incident_id).to.equal(id);
          expect(json.comment).to.equal(TEXT);
          expect(json.comments.filter((c: Json) => c['comment'] === TEXT)).to.have.length(1);
          expect(json.comments.at(-1).comment).to.equal(TEXT);
          expect(json.comments.at(-1).createdByDisplayName).to.be.a('string').and.not.equal('');
          expect(r.result['output_message']).to.equal(`Comment added to incident ${id} (${before + 1} comment${before + 1 === 1 ? '' : 's'} now).`);
          const seen = otherView(id).comments;
          expect(seen).to.have.length(before + 1);
          expect(seen.at(-1)).to.equal(TEXT);

          const second = await comment({ incident_id: id, comment: 'second comment' });
          expect(second.result['json_result'].comments.map((c: Json) => c['comment'])).to.deep.equal([...seen, 'second comment']);
          expect(second.result['output_message']).to.equal(`Comment added to incident ${id} (${before + 2} comments now).`);
        });

        it('refuses a comment too long, with a NUL or a lone surrogate, before anything is sent', async () => {
          const id = newIncident();
          const cases: Array<[string, RegExp]> = [
            ['c'.repeat(30_001), /^Parameter 'comment' must have at most 30000 characters; got 30001\.$/],
            ['c'.repeat(10 * 1024 * 1024), /^Parameter 'comment' must have at most 30000 characters; got 10485760\.$/],
            ['before\u0000after', /^Parameter 'comment' contains the control character U\+0000 at position 7/],
            ['half \uDE00 an emoji', /^Parameter 'comment' contains an unpaired UTF-16 surrogate \(U\+DE00\) at position 6/],
          ];
          for (const [text, message] of cases) {
            const seq = lastSeq();
            const r = await comment({ incident_id: id, comment: text });
            expect(r.code, String(message)).to.equal(2);
            expectFailure(r, 'INVALID_INPUT', message);
            expect(em.requests(seq)).to.deep.equal([]);
          }
          expect(otherView(id).comments).to.deep.equal([]);
          // 30,000 characters with line breaks and tabs are taken
          const long = `${'x'.repeat(29_990)}\n\tdone`;
          expectCompleted(await comment({ incident_id: id, comment: long }));
          expect(otherView(id).comments).to.deep.equal([long]);
        });

        it('refuses an empty or blank comment before anything is sent', async () => {
          const id = newIncident();
          for (const text of ['', '   ', ' \n\t ']) {
            const seq = lastSeq();
            const r = await comment({ incident_id: id, comment: text });
            expect(r.code, JSON.stringify(text)).to.equal(2);
            expectFailure(r, 'INVALID_INPUT', /comment/);
            expect(em.requests(seq)).to.deep.equal([]);
          }
          expect(otherView(id).comments).to.deep.equal([]);
        });

        it('a missing incident: NOT_FOUND', async () => {
          const r = await comment({ incident_id: '987654321', comment: 'nobody reads this' });
          expectFailure(r, 'NOT_FOUND', /987654321/);
        });

        const notRepeated: Array<[string, Parameters<Emulator['addFault']>[0], string, RegExp]> = [
          ['a reset connection', { kind: 'reset', count: 3 }, 'NETWORK', /its outcome is unknown: it may already be on incident \d+\. Look at the incident's comments before adding it again; it was not sent twice\.$/],
          ['a truncated answer', { kind: 'truncate', count: 3 }, 'NETWORK', /closed before the whole answer .* its outcome is unknown: it may already be on incident \d+\./],
          ['a 504', { kind: 'status', status: 504, count: 3 }, 'API_ERROR', /504/],
        ];
        for (const [what, fault, code, message] of notRepeated) {
          it(`is never posted twice by a retry: ${what} fails the run (${code}) after one attempt`, async () => {
            const id = newIncident();
            const before = otherView(id).comments.length;
            em.addFault({ ...fault, match: { method: commentMethod, path: commentPath(id) } });
            const seq = lastSeq();
            const r = await comment({ incident_id: id, comment: `once only (${what})` });
            expect(r.code).to.equal(1);
            expectFailure(r, code, message);
            const attempts = apiRequests(seq).filter((q) => q.method === commentMethod && q.path === commentPath(id));
            expect(attempts, 'one attempt, not retried').to.have.length(1);
            expect(otherView(id).comments.length - before).to.be.at.most(1);
            expect(em.faults()[0]!.remaining).to.equal(2);
          });
        }

        it('a 429 (not applied) is retried, and the comment lands exactly once', async () => {
          const id = newIncident();
          em.addFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, match: { method: commentMethod, path: commentPath(id) } });
          const seq = lastSeq();
          const r = await comment({ incident_id: id, comment: 'after throttling' });
          expectCompleted(r);
          const attempts = apiRequests(seq).filter((q) => q.method === commentMethod && q.path === commentPath(id));
          expect(attempts.map((q) => q.status)).to.deep.equal([429, 200]);
          expect(r.logs.some((l) => / retrying in \d+ ms$/.test(l['msg']))).to.equal(true);
          expect(otherView(id).comments).to.deep.equal(['after throttling']);
          expect(r.result['json_result'].comments.map((c: Json) => c['comment'])).to.deep.equal(['after throttling']);
        });
      });
    });
  }

  describe('the action\'s alias', () => {
    it('the manifest lists "Update Defender Incident" for update-incident, and the harness runs it by that name', async () => {
      const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'manifest', 'manifest.json'), 'utf8')) as { actions: Array<{ id: string; aliases?: string[] }> };
      expect(manifest.actions.find((a) => a.id === 'update-incident')?.aliases).to.include('Update Defender Incident');

      const id = newIncident({ status: 'active' });
      const env = cleanEnv({ ...em.env, M365D_STATE_DIR: freshState() });
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'run-action'), 'Update Defender Incident', '--json', '--param', `incident_id=${id}`, '--param', 'status=Resolved'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(out.code, out.stdout + out.stderr).to.equal(0);
      const result = JSON.parse(out.stdout);
      expect(result.status).to.equal('completed');
      expect(result.output_message).to.equal(`Incident ${id} updated: status Resolved.`);
      expect(through('defender', id)['status']).to.equal('Resolved');
    });
  });
});
