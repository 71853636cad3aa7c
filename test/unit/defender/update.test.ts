import { expect } from 'chai';
import { planUpdate } from '../../../lib/defender/update';
import { parseList, splitList } from '../../../lib/defender/lists';
import { parseClassification, parseStatus } from '../../../lib/defender/model';
import type { Incident } from '../../../lib/defender/model';
import { syncActionErrorOf } from '../../support/errors';

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

  it('refuses an update that changes nothing', () => {
    const current = incident({ status: 'inProgress', assignedTo: 'bob@contoso.com', customTags: ['IR'] });
    expect(syncActionErrorOf('INVALID_INPUT', () => planUpdate(current, { status: 'inProgress', assignedTo: 'bob@contoso.com', tags: ['ir'] }))).to.match(/^Incident 42 already is as asked .*nothing to update\.$/);
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
