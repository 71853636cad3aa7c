import { expect } from 'chai';
import { checkRequest, planUpdate, reportUpdate } from '../../../lib/defender/update';
import { exitCodeFor } from '../../../lib/runtime/errors';
import { failure } from '../../../lib/runtime/result';
import { parseList, splitList } from '../../../lib/defender/lists';
import { parseClassification, parseStatus } from '../../../lib/defender/model';
import type { Incident } from '../../../lib/defender/model';
import { syncActionErrorOf, thrownActionError } from '../../support/errors';

const incident = (over: Partial<Incident> = {}): Incident => ({
  id: '42',
  displayName: 'x',
  status: 'active',
  severity: 'high',
  classification: 'unknown',
  determination: 'unknown',
  assignedTo: null,
  createdDateTime: '2026-11-01T00:00:00Z',
  lastUpdateDateTime: '2026-11-01T00:00:00Z',
  incidentWebUrl: 'https://security.microsoft.com/incidents/42',
  redirectIncidentId: null,
  customTags: ['Ransomware'],
  comments: [],
  ...over,
});

describe('Update Incident rules', () => {
  it('sends only what changes and says what it is', () => {
    const plan = planUpdate(incident(), { status: 'resolved', classification: 'truePositive', determination: 'malware', assignedTo: 'bob@contoso.com', tags: ['ir', 'ransomware'] });
    expect(plan.change).to.deep.equal({ status: 'resolved', classification: 'truePositive', determination: 'malware', assignedTo: 'bob@contoso.com', customTags: ['Ransomware', 'ir'] });
    expect(plan.summary).to.deep.equal(['status Resolved', 'classification True Positive', 'determination Malware', 'assigned to bob@contoso.com', 'tags +ir']);
    const same = planUpdate(incident({ status: 'resolved' }), { status: 'resolved', assignedTo: 'a@b.c' });
    expect(same.change).to.deep.equal({ assignedTo: 'a@b.c' });
  });

  it('checks a determination against the classification it will have, or the current one', () => {
    expect(syncActionErrorOf('INVALID_INPUT', () => planUpdate(incident(), { classification: 'falsePositive', determination: 'malware' }))).to.match(/^Classification 'False Positive' does not allow determination 'Malware'; allowed: Not Malicious, Not Enough Data To Validate, Other/);
    expect(syncActionErrorOf('INVALID_INPUT', () => planUpdate(incident({ classification: 'truePositive' }), { determination: 'notMalicious' }))).to.match(/^Classification 'True Positive' does not allow determination 'Not Malicious'/);
    const ok = planUpdate(incident({ classification: 'truePositive' }), { determination: 'phishing' });
    expect(ok.change).to.deep.equal({ determination: 'phishing', classification: 'truePositive' });
    expect(ok.summary).to.deep.equal(['determination Phishing']);
  });

  it('refuses a classification that does not fit the current determination unless one is given', () => {
    const current = incident({ classification: 'truePositive', determination: 'malware' });
    expect(syncActionErrorOf('INVALID_INPUT', () => planUpdate(current, { classification: 'falsePositive' }))).to.match(/does not allow the incident's current determination 'Malware'; give a determination too: Not Malicious, Not Enough Data To Validate, Other\./);
    expect(planUpdate(current, { classification: 'falsePositive', determination: 'notMalicious' }).summary).to.deep.equal(['classification False Positive', 'determination Not Malicious']);
    expect(planUpdate(incident(), { classification: 'falsePositive' }).change).to.deep.equal({ classification: 'falsePositive' });
    expect(planUpdate(current, { classification: 'informationalExpectedActivity', determination: 'other' }).change).to.deep.equal({ classification: 'informationalExpectedActivity', determination: 'other' });
  });

  it('an update that finds the incident already as asked is an empty plan, not an error (a step run again)', () => {
    const current = incident({ status: 'inProgress', assignedTo: 'bob@contoso.com', customTags: ['IR'] });
    const plan = planUpdate(current, { status: 'inProgress', assignedTo: 'bob@contoso.com', tags: ['ir'] });
    expect(plan).to.deep.equal({ change: {}, summary: [], addedTags: [] });
  });

  const thrown = thrownActionError;

  it('what only the incident as it is shows wrong fails with exit 1 (the read was sent); what the request alone shows, with exit 2', () => {
    // found after the GET: a determination alone against the current classification, a classification alone
    // against the current determination
    for (const [current, request] of [
      [incident({ classification: 'truePositive', determination: 'malware' }), { determination: 'notMalicious' }],
      [incident({ classification: 'truePositive', determination: 'malware' }), { classification: 'falsePositive' }],
      [incident(), { determination: 'phishing' }],
    ] as const) {
      const err = thrown(() => planUpdate(current, request));
      expect(err.code, JSON.stringify(request)).to.equal('INVALID_INPUT');
      expect(err.afterRequest, JSON.stringify(request)).to.equal(true);
      expect(failure('Update Incident', err).exitCode, JSON.stringify(request)).to.equal(1);
    }
    // found before anything is sent: a pair that does not fit, Unknown on the Defender XDR API
    for (const [request, flavor] of [
      [{ classification: 'falsePositive', determination: 'malware' }, 'graph'],
      [{ classification: 'unknown', determination: 'unknown' }, 'defender'],
      [{ determination: 'unknown' }, 'defender'],
    ] as const) {
      const err = thrown(() => checkRequest(request, flavor));
      expect(err.code).to.equal('INVALID_INPUT');
      expect(err.afterRequest).to.equal(false);
      expect(failure('Update Incident', err).exitCode).to.equal(2);
    }
    expect(() => checkRequest({ classification: 'unknown', determination: 'unknown' }, 'graph')).not.to.throw();
    expect(() => checkRequest({ determination: 'malware' }, 'graph')).not.to.throw();
    expect(exitCodeFor('INVALID_INPUT', true)).to.equal(1);
    expect(exitCodeFor('CONFIGURATION', true)).to.equal(1);
    expect(exitCodeFor('INVALID_INPUT')).to.equal(2);
  });

  it('reports what Microsoft\'s answer shows, not only what was asked', () => {
    const current = incident({ customTags: ['Ransomware'] });
    const plan = planUpdate(current, { status: 'resolved', classification: 'truePositive', determination: 'malware', assignedTo: 'bob@contoso.com', tags: ['ir', 'vip'] });
    const asAsked = incident({ status: 'resolved', classification: 'truePositive', determination: 'malware', assignedTo: 'bob@contoso.com', customTags: ['Ransomware', 'ir', 'VIP'] });
    expect(reportUpdate('42', plan, asAsked)).to.deep.equal({
      changes: ['status Resolved', 'classification True Positive', 'determination Malware', 'assigned to bob@contoso.com', 'tags +ir, +vip'],
      missing: [],
    });
    // the answer shows the status, the assignment and a tag otherwise
    const otherwise = incident({ status: 'active', classification: 'truePositive', determination: 'malware', assignedTo: null, customTags: ['Ransomware', 'ir'] });
    expect(reportUpdate('42', plan, otherwise)).to.deep.equal({
      changes: ['classification True Positive', 'determination Malware', 'tags +ir'],
      missing: ['status Resolved (the answer shows Active)', 'assigned to bob@contoso.com (the answer shows nobody)', 'tags +vip (the answer does not show it)'],
    });
    // a determination alone is sent with the current classification, which is not reported as a change
    const det = planUpdate(incident({ classification: 'truePositive' }), { determination: 'phishing' });
    expect(reportUpdate('42', det, incident({ classification: 'truePositive', determination: 'phishing' })).changes).to.deep.equal(['determination Phishing']);
  });

  it('reports a merge the answer shows: the incident redirected into another, or an answer about another incident', () => {
    const plan = planUpdate(incident(), { status: 'resolved' });
    const merged = reportUpdate('42', plan, incident({ status: 'redirected', redirectIncidentId: '77' }));
    expect(merged.missing).to.deep.equal(['status Resolved (the answer shows Redirected)']);
    expect(merged.merge).to.equal("Microsoft's answer shows incident 42 merged into incident 77 (status Redirected); the merged case is incident 77");
    const other = reportUpdate('42', plan, incident({ id: '77', status: 'resolved' }));
    expect(other.changes).to.deep.equal(['status Resolved']);
    expect(other.merge).to.equal('Microsoft answered with incident 77, not 42: incident 42 may have been merged into it');
    expect(reportUpdate('42', plan, incident({ status: 'resolved' })).merge).to.equal(undefined);
  });

  it('splits list parameters on commas and newlines', () => {
    expect(splitList(' a, b ,\nc,, ')).to.deep.equal(['a', 'b', 'c']);
    expect(splitList(undefined)).to.deep.equal([]);
  });

  it('reads a label that holds a comma as one value of a list, and reports a bad piece by itself', () => {
    expect(parseList('True Positive, Informational, Expected Activity,false positive', parseClassification, 'classification')).to.deep.equal(['truePositive', 'informationalExpectedActivity', 'falsePositive']);
    expect(parseList('Active, In Progress', parseStatus, 'status')).to.deep.equal(['active', 'inProgress']);
    expect(syncActionErrorOf('INVALID_INPUT', () => parseList('Active, Closed, Resolved', parseStatus, 'status'))).to.match(/^Parameter 'status' .*got 'Closed'/);
  });
});
