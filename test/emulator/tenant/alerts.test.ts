import { expect } from 'chai';
import { createTenant } from './index';
import { GRAPH_RO, NOW, ORIGIN, TENANT_ID, type J, json, qs, req, tenant } from './testkit';
import type { FaceResponse, Tenant } from './api';

const AL = '/v1.0/security/alerts_v2';
const PREFER = { prefer: 'include-unknown-enum-members' };
const READ_ONLY = ['SecurityAlert.Read.All'];
const LATER = new Date(NOW.getTime() + 5000);
const LATER_ISO = '2025-06-01T12:00:05.0000000Z';

/** Every alert, through the face with nextLinks (every enum member shown when `prefer`). */
function allAlerts(t: Tenant, prefer = true, query = '$top=2000'): J[] {
  const out: J[] = [];
  let link: string | undefined = `${ORIGIN}${AL}?${query}`;
  for (let pages = 0; link && pages < 1000; pages++) {
    const u = new URL(link);
    const b = json(t.graph(req(u.pathname, { query: u.search.slice(1), headers: prefer ? PREFER : {} })));
    out.push(...b.value);
    link = b['@odata.nextLink'];
  }
  return out;
}
const count = (t: Tenant, filter: string, headers: Record<string, string> = PREFER): number =>
  json(t.graph(req(AL, { query: qs({ $filter: filter, $count: 'true', $top: 1 }), headers })))['@odata.count'];
const errorOf = (res: FaceResponse | undefined): J => json(res).error;

describe('tenant/alerts: GET /security/alerts_v2', () => {
  const t = tenant(60, 42);
  const all = allAlerts(t);

  it('lists every alert of every incident once, newest first, with @odata.context', () => {
    const embedded = json(t.graph(req('/v1.0/security/incidents', { query: '$expand=alerts&$top=50' }))).value.concat(
      json(t.graph(req('/v1.0/security/incidents', { query: '$expand=alerts&$top=50&$skip=50' }))).value).flatMap((i: J) => i.alerts.map((a: J) => a.id));
    expect(all.map((a) => a.id).sort()).to.deep.equal([...embedded].sort());
    expect(t.control.alertCount()).to.equal(all.length);
    for (let k = 1; k < all.length; k++) expect(all[k - 1].createdDateTime >= all[k].createdDateTime).to.equal(true);
    expect(json(t.graph(req(AL, { query: '$top=1' })))['@odata.context']).to.equal(`${ORIGIN}/v1.0/$metadata#security/alerts_v2`);
  });

  it('$filter on each documented field with eq, ne, in, and, or, not, and gt/ge/lt/le on the dates', () => {
    const n = (f: (a: J) => boolean): number => all.filter(f).length;
    const cases: Array<[string, (a: J) => boolean]> = [
      ["status eq 'new'", (a) => a.status === 'new'],
      ["status in ('inProgress','resolved')", (a) => a.status === 'inProgress' || a.status === 'resolved'],
      ["severity eq 'high' or severity eq 'medium'", (a) => a.severity === 'high' || a.severity === 'medium'],
      ["severity ne 'low'", (a) => a.severity !== 'low'],
      ["classification eq 'truePositive' and determination eq 'malware'", (a) => a.classification === 'truePositive' && a.determination === 'malware'],
      ["not (classification eq 'unknown')", (a) => a.classification !== 'unknown'],
      ["determination in ('notMalicious','other')", (a) => a.determination === 'notMalicious' || a.determination === 'other'],
      ["serviceSource eq 'microsoftDefenderForOffice365'", (a) => a.serviceSource === 'microsoftDefenderForOffice365'],
      ['assignedTo eq null', (a) => a.assignedTo === null],
      ['assignedTo ne null', (a) => a.assignedTo !== null],
      ["assignedTo eq 'secop2@contoso.com'", (a) => a.assignedTo === 'secop2@contoso.com'],
    ];
    for (const [filter, f] of cases) {
      expect(count(t, filter), filter).to.equal(n(f));
      expect(n(f), `${filter} selects something`).to.be.greaterThan(0);
    }
    for (const field of ['createdDateTime', 'lastUpdateDateTime']) {
      const pivot = all[Math.floor(all.length / 3)][field] as string;
      const ops: Array<[string, (x: string) => boolean]> = [
        ['eq', (x) => x === pivot], ['ne', (x) => x !== pivot], ['gt', (x) => x > pivot], ['ge', (x) => x >= pivot], ['lt', (x) => x < pivot], ['le', (x) => x <= pivot],
      ];
      for (const [op, f] of ops) expect(count(t, `${field} ${op} ${pivot}`), `${field} ${op}`).to.equal(all.filter((a) => f(a[field])).length);
    }
    const body = json(t.graph(req(AL, { query: qs({ $filter: "status eq 'resolved' and severity in ('high','medium')", $top: 2000 }) })));
    for (const a of body.value) { expect(a.status).to.equal('resolved'); expect(['high', 'medium']).to.include(a.severity); }
  });

  it('fields the page does not list are not filterable: 400 with the Graph error body', () => {
    for (const field of ['detectionSource', 'incidentId', 'title', 'investigationState']) {
      const res = t.graph(req(AL, { query: qs({ $filter: `${field} eq 'x'` }) }));
      expect(res?.status, field).to.equal(400);
      const e = errorOf(res);
      expect(e.code).to.equal('');
      expect(e.message, field).to.match(field === 'investigationState'
        ? /^The query specified in the URI is not valid\. Could not find a property named 'investigationState' on type 'microsoft\.graph\.security\.alert'\.$/
        : new RegExp(`^The query specified in the URI is not valid\\. The property '${field}' cannot be used in the \\$filter query option\\.$`));
      expect(e.innerError).to.have.keys('date', 'request-id', 'client-request-id');
    }
    expect(t.graph(req(AL, { query: qs({ $filter: "status eq 'closed'" }) }))?.status).to.equal(400);
    expect(t.graph(req(AL, { query: qs({ $filter: "severity eq 'high' and" }) }))?.status).to.equal(400);
  });

  it('pages with $top/$skip and @odata.nextLink; without $top a page holds 100; $top above 2000 is a 400', () => {
    const paged = allAlerts(t, true, '$top=7');
    expect(paged.map((a) => a.id)).to.deep.equal(all.map((a) => a.id));
    const first = json(t.graph(req(AL, { query: '$top=7&$count=true', headers: PREFER })));
    expect(first['@odata.nextLink']).to.equal(`${ORIGIN}${AL}?$top=7&$count=true&$skip=7`);
    const skipped = json(t.graph(req(AL, { query: '$top=5&$skip=10', headers: PREFER }))).value as J[];
    expect(skipped.map((a) => a.id)).to.deep.equal(all.slice(10, 15).map((a) => a.id));
    const last = json(t.graph(req(AL, { query: `$top=5&$skip=${all.length - 3}` })));
    expect(last.value).to.have.length(3);
    expect(last).to.not.have.property('@odata.nextLink');
    expect(all.length).to.be.greaterThan(100);
    const dflt = json(t.graph(req(AL)));
    expect(dflt.value).to.have.length(100);
    expect(dflt['@odata.nextLink']).to.equal(`${ORIGIN}${AL}?$skip=100`);
    expect(json(t.graph(req(AL, { query: '$top=2000' }))).value).to.have.length(all.length);
    const over = t.graph(req(AL, { query: '$top=2001' }));
    expect(over?.status).to.equal(400);
    expect(errorOf(over).message).to.equal("The query specified in the URI is not valid. The limit of '2000' for Top query has been exceeded. The value from the incoming request is '2001'.");
    expect(t.graph(req(AL, { query: '$skip=-1' }))?.status).to.equal(400);
  });

  it('$orderby lastUpdateDateTime and createdDateTime, asc and desc, ties by id; with a filter; a bad key is a 400', () => {
    for (const field of ['lastUpdateDateTime', 'createdDateTime']) {
      for (const dir of ['asc', 'desc']) {
        const v = json(t.graph(req(AL, { query: qs({ $orderby: `${field} ${dir}`, $top: 2000 }) }))).value as J[];
        expect(v).to.have.length(all.length);
        for (let k = 1; k < v.length; k++) {
          const [x, y] = dir === 'asc' ? [v[k - 1], v[k]] : [v[k], v[k - 1]];
          expect(x[field] <= y[field], `${field} ${dir} at ${k}`).to.equal(true);
          if (x[field] === y[field]) expect(x.id < y.id, `${field} ${dir} tie at ${k}`).to.equal(true);
        }
      }
    }
    const since = all[40].lastUpdateDateTime as string;
    const cursor = json(t.graph(req(AL, { query: qs({ $filter: `lastUpdateDateTime gt ${since}`, $orderby: 'lastUpdateDateTime asc', $top: 2000 }) }))).value as J[];
    expect(cursor.map((a) => a.id).sort()).to.deep.equal(all.filter((a) => a.lastUpdateDateTime > since).map((a) => a.id).sort());
    expect(t.graph(req(AL, { query: '$orderby=title' }))?.status).to.equal(400);
    expect(t.graph(req(AL, { query: '$orderby=nope desc' }))?.status).to.equal(400);
  });

  it('$count gives the filtered total whatever $top; $count=maybe is a 400', () => {
    const b = json(t.graph(req(AL, { query: qs({ $filter: "status eq 'new'", $count: 'true', $top: 2 }) })));
    expect(b.value).to.have.length(2);
    expect(b['@odata.count']).to.equal(all.filter((a) => a.status === 'new').length);
    expect(json(t.graph(req(AL, { query: '$count=true&$top=1' })))['@odata.count']).to.equal(all.length);
    expect(json(t.graph(req(AL, { query: '$top=1' })))).to.not.have.property('@odata.count');
    expect(t.graph(req(AL, { query: '$count=maybe' }))?.status).to.equal(400);
  });
});

describe('tenant/alerts: GET /security/alerts_v2/{id}', () => {
  const t = tenant(60, 42);
  const all = allAlerts(t);

  it('answers one alert with what Get Alert needs: evidence, comments, incidentId and both links', () => {
    const withComments = all.find((a) => a.comments.length > 0) as J;
    const res = t.graph(req(`${AL}/${withComments.id}`, { headers: PREFER }));
    expect(res?.status).to.equal(200);
    const a = json(res);
    expect(a['@odata.context']).to.equal(`${ORIGIN}/v1.0/$metadata#security/alerts_v2/$entity`);
    expect(a['@odata.type']).to.equal('#microsoft.graph.security.alert');
    const { ['@odata.context']: _ctx, ...rest } = a;
    expect(rest).to.deep.equal(withComments);
    expect(a.incidentId).to.match(/^\d+$/);
    expect(a.incidentWebUrl).to.equal(`https://security.microsoft.com/incidents/${a.incidentId}?tid=${TENANT_ID}`);
    expect(a.alertWebUrl).to.equal(`https://security.microsoft.com/alerts/${a.id}?tid=${TENANT_ID}`);
    expect(a.evidence.length).to.be.greaterThan(0);
    for (const c of a.comments) expect(Object.keys(c).sort()).to.deep.equal(['comment', 'createdByDisplayName', 'createdDateTime']);
    const inc = json(t.graph(req(`/v1.0/security/incidents/${a.incidentId}`, { query: '$expand=alerts' })));
    expect(inc.alerts.map((x: J) => x.id)).to.include(a.id);
    const sel = json(t.graph(req(`${AL}/${a.id}`, { query: '$select=id,status' })));
    expect(Object.keys(sel).sort()).to.deep.equal(['@odata.context', '@odata.type', 'id', 'status']);
    expect(t.graph(req(`${AL}/${a.id}`, { query: '$expand=evidence' }))?.status).to.equal(400);
  });

  it('an unknown id is a 404 with the Graph error body', () => {
    const res = t.graph(req(`${AL}/da000000000000000000_1`));
    expect(res?.status).to.equal(404);
    const e = errorOf(res);
    expect(e).to.include({ code: 'NotFound', message: "Alert with id 'da000000000000000000_1' was not found." });
    expect(e.innerError).to.have.keys('date', 'request-id', 'client-request-id');
    expect(e.innerError.date).to.equal(NOW.toISOString().slice(0, 19));
    expect(t.graph(req(`${AL}/x`, { headers: { 'client-request-id': 'c1' } }))?.headers).to.include({ 'client-request-id': 'c1' });
    expect(t.graph(req(`${AL}/x`, { method: 'PATCH', body: { status: 'new' } }))?.status).to.equal(404);
    expect(t.graph(req(`${AL}/x/comments`, { method: 'POST', body: { comment: 'c' } }))?.status).to.equal(404);
    expect(t.graph(req(`${AL}/${all[0].id}`, { method: 'DELETE' }))?.status).to.equal(405);
    expect(t.graph(req(AL, { method: 'POST', body: {} }))?.status).to.equal(405);
    expect(t.graph(req(`${AL}/${all[0].id}/evidence`))).to.equal(undefined);
  });
});

describe('tenant/alerts: PATCH /security/alerts_v2/{id}', () => {
  const patch = (t: Tenant, id: string, body: unknown, headers: Record<string, string> = PREFER): FaceResponse | undefined =>
    t.graph(req(`${AL}/${id}`, { method: 'PATCH', body, now: LATER, headers }));

  it('sets status, classification, determination, assignedTo; lastUpdateDateTime moves; resolvedDateTime follows status', () => {
    const t = tenant(20, 5);
    const a = allAlerts(t).find((x) => x.status === 'new') as J;
    const res = patch(t, a.id, { '@odata.type': '#microsoft.graph.security.alert', status: 'inProgress', classification: 'truePositive', determination: 'malware', assignedTo: 'secAdmin@contoso.onmicrosoft.com' });
    expect(res?.status).to.equal(200);
    const b = json(res);
    expect(b['@odata.context']).to.equal(`${ORIGIN}/v1.0/$metadata#security/alerts_v2/$entity`);
    expect(b).to.include({ id: a.id, status: 'inProgress', classification: 'truePositive', determination: 'malware', assignedTo: 'secAdmin@contoso.onmicrosoft.com',
      lastUpdateDateTime: LATER_ISO, resolvedDateTime: null, title: a.title, severity: a.severity });
    expect(json(t.graph(req(`${AL}/${a.id}`, { headers: PREFER })))).to.include({ status: 'inProgress', lastUpdateDateTime: LATER_ISO });
    expect(json(patch(t, a.id, { status: 'resolved' }))).to.include({ status: 'resolved', resolvedDateTime: LATER_ISO });
    expect(json(patch(t, a.id, { status: 'new', assignedTo: null }))).to.include({ status: 'new', resolvedDateTime: null, assignedTo: null });
    // enum values are read case-insensitively and stored in metadata case, as for incidents
    expect(json(patch(t, a.id, { classification: 'FalsePositive', determination: 'NotMalicious' }))).to.include({ classification: 'falsePositive', determination: 'notMalicious' });
  });

  it('customDetails: string values merged in, null removes a key', () => {
    const t = tenant(20, 5);
    const a = allAlerts(t)[3];
    expect(json(patch(t, a.id, { customDetails: { Ticket: 'INC-1', Owner: 'Zoë' } })).customDetails).to.deep.equal({ ...a.customDetails, Ticket: 'INC-1', Owner: 'Zoë' });
    expect(json(patch(t, a.id, { customDetails: { Owner: null, Queue: 'Tier 2' } })).customDetails).to.deep.equal({ ...a.customDetails, Ticket: 'INC-1', Queue: 'Tier 2' });
    for (const bad of [{ customDetails: { n: 5 } }, { customDetails: ['x'] }, { customDetails: 'x' }, { customDetails: null }]) {
      expect(patch(t, a.id, bad)?.status, JSON.stringify(bad)).to.equal(400);
    }
  });

  it("a value the service cannot take is Graph's 400 InvalidRequestBody 'Request body is incorrect', and nothing changes", () => {
    const t = tenant(20, 5);
    const a = allAlerts(t).find((x) => x.status === 'new') as J;
    const bodies: unknown[] = [
      { status: 'closed' }, { status: 'unknown' }, { status: 5 },
      { classification: 'benignPositive' }, { classification: '' },
      // the update page's names for four determinations are not the type's members (resources/security-alert.md)
      { determination: 'compromisedUser' }, { determination: 'clean' }, { determination: 'insufficientData' }, { determination: 'confirmedUserActivity' },
      { assignedTo: 42 }, { assignedTo: ['a'] },
      { severity: 'high' }, { title: 'x' },
      { status: 'resolved', classification: 'benignPositive' },
    ];
    for (const body of bodies) {
      const res = patch(t, a.id, body);
      expect(res?.status, JSON.stringify(body)).to.equal(400);
      const e = errorOf(res);
      expect({ code: e.code, message: e.message }, JSON.stringify(body)).to.deep.equal({ code: 'InvalidRequestBody', message: 'Request body is incorrect' });
      expect(e.innerError).to.have.keys('date', 'request-id', 'client-request-id');
    }
    expect(json(t.graph(req(`${AL}/${a.id}`, { headers: PREFER })))).to.deep.include({ status: 'new', lastUpdateDateTime: a.lastUpdateDateTime, classification: a.classification });
    const unknown = patch(t, a.id, { foo: 1 });
    expect(unknown?.status).to.equal(400);
    expect(errorOf(unknown)).to.include({ code: 'BadRequest',
      message: "The property 'foo' does not exist on type 'microsoft.graph.security.alert'. Make sure to only use property names that are defined by the type or mark the type as open type." });
    for (const raw of ['{not json', '[]', '']) expect(t.graph(req(`${AL}/${a.id}`, { method: 'PATCH', body: raw }))?.status, raw).to.equal(400);
    // every determination of the type, and the documented status values, are accepted
    for (const d of ['compromisedAccount', 'notEnoughDataToValidate', 'confirmedActivity', 'lineOfBusinessApplication', 'securityPersonnel', 'apt', 'unknown']) {
      expect(patch(t, a.id, { determination: d })?.status, d).to.equal(200);
    }
  });

  it('unknownFutureValue leaves the property as it is (the evolvable-enum rule for PATCH)', () => {
    const t = tenant(20, 5);
    const a = allAlerts(t).find((x) => x.status === 'new') as J;
    const b = json(patch(t, a.id, { status: 'unknownFutureValue', classification: 'unknownFutureValue', determination: 'unknownFutureValue', assignedTo: 'x@contoso.com' }));
    expect(b).to.include({ status: 'new', classification: a.classification, determination: a.determination, assignedTo: 'x@contoso.com' });
  });

  it('a change is seen through the incident: its embedded alert and its lastUpdateDateTime', () => {
    const t = tenant(20, 5);
    const a = allAlerts(t).find((x) => x.status === 'new') as J;
    patch(t, a.id, { status: 'inProgress', assignedTo: 'kai@contoso.com' });
    const inc = json(t.graph(req(`/v1.0/security/incidents/${a.incidentId}`, { query: '$expand=alerts' })));
    expect(inc.lastUpdateDateTime).to.equal(LATER_ISO);
    expect(inc.alerts.find((x: J) => x.id === a.id)).to.include({ status: 'inProgress', assignedTo: 'kai@contoso.com', lastUpdateDateTime: LATER_ISO });
    const legacy = json(t.defender(req(`/api/incidents/${a.incidentId}`)));
    expect(legacy.alerts.find((x: J) => x.alertId === a.id)).to.include({ status: 'InProgress', assignedTo: 'kai@contoso.com' });
  });

  it('and an incident change is seen through its alerts, whose lastUpdateDateTime moves where they changed', () => {
    const t = tenant(60, 42);
    const incs = json(t.graph(req('/v1.0/security/incidents', { query: '$expand=alerts&$top=50' }))).value as J[];
    const open = incs.filter((i) => ['active', 'inProgress'].includes(i.status) && i.classification !== 'truePositive' && i.assignedTo !== 'soc@contoso.com');
    expect(open.length).to.be.at.least(3);
    const [x, y, z] = open;
    // control
    t.control.updateIncident(x.id, { classification: 'truePositive', determination: 'phishing', assignedTo: 'soc@contoso.com' }, LATER);
    for (const a of x.alerts) {
      expect(json(t.graph(req(`${AL}/${a.id}`)))).to.include({ classification: 'truePositive', determination: 'phishing', assignedTo: 'soc@contoso.com', lastUpdateDateTime: LATER_ISO });
    }
    // Graph PATCH of the incident: resolving it resolves its alerts
    expect(t.graph(req(`/v1.0/security/incidents/${y.id}`, { method: 'PATCH', body: { status: 'resolved' }, now: LATER }))?.status).to.equal(200);
    for (const a of y.alerts) expect(json(t.graph(req(`${AL}/${a.id}`)))).to.include({ status: 'resolved', resolvedDateTime: LATER_ISO, lastUpdateDateTime: LATER_ISO });
    // legacy PATCH of the incident
    expect(t.defender(req(`/api/incidents/${z.id}`, { method: 'PATCH', body: { assignedTo: 'legacy@contoso.com' }, now: LATER }))?.status).to.equal(200);
    for (const a of z.alerts) expect(json(t.graph(req(`${AL}/${a.id}`)))).to.include({ assignedTo: 'legacy@contoso.com', lastUpdateDateTime: LATER_ISO });
    // an alert the change does not touch keeps its lastUpdateDateTime
    const same = z.alerts[0];
    t.control.updateIncident(z.id, { assignedTo: 'legacy@contoso.com' }, new Date(LATER.getTime() + 60_000));
    expect(json(t.graph(req(`${AL}/${same.id}`))).lastUpdateDateTime).to.equal(LATER_ISO);
  });
});

describe('tenant/alerts: POST /security/alerts_v2/{id}/comments', () => {
  it('adds the comment and answers 200 with the whole list; the alert and its incident were updated', () => {
    const t = tenant(20, 5);
    const a = allAlerts(t).find((x) => x.comments.length > 0) as J;
    const res = t.graph(req(`${AL}/${a.id}/comments`, { method: 'POST', body: { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'Demo for docs – "quoted" ü' }, now: LATER }));
    expect(res?.status).to.equal(200);
    const b = json(res);
    expect(b['@odata.context']).to.equal(`${ORIGIN}/v1.0/$metadata#security/alerts_v2('${a.id}')/comments`);
    expect(b.value).to.deep.equal([...a.comments, { comment: 'Demo for docs – "quoted" ü', createdByDisplayName: 'Emulator test app', createdDateTime: LATER_ISO }]);
    const after = json(t.graph(req(`${AL}/${a.id}`)));
    expect(after.comments).to.deep.equal(b.value);
    expect(after.lastUpdateDateTime).to.equal(LATER_ISO);
    expect(json(t.graph(req(`/v1.0/security/incidents/${a.incidentId}`))).lastUpdateDateTime).to.equal(LATER_ISO);
    // the incident's own comments are not the alert's
    expect(json(t.graph(req(`/v1.0/security/incidents/${a.incidentId}`))).comments.map((c: J) => c.comment)).to.not.include('Demo for docs – "quoted" ü');
  });

  it('a missing or empty comment, or another property, is a 400; GET on comments is a 405', () => {
    const t = tenant(5, 5);
    const a = allAlerts(t)[0];
    for (const body of [{}, { comment: '' }, { comment: '  ' }, { comment: 5 }, { comment: 'x', author: 'me' }, '{bad']) {
      expect(t.graph(req(`${AL}/${a.id}/comments`, { method: 'POST', body }))?.status, JSON.stringify(body)).to.equal(400);
    }
    expect(json(t.graph(req(`${AL}/${a.id}`))).comments).to.deep.equal(a.comments);
    expect(t.graph(req(`${AL}/${a.id}/comments`))?.status).to.equal(405);
  });
});

describe('tenant/alerts: Prefer: include-unknown-enum-members', () => {
  const t = tenant(60, 42);
  const all = allAlerts(t);
  const hidden = all.filter((a) => a.serviceSource === 'microsoftDefenderForCloud');

  it('without it, members after unknownFutureValue (Defender for Cloud) read unknownFutureValue; with it, their names and Preference-Applied', () => {
    expect(hidden.length).to.be.greaterThan(0);
    for (const a of hidden) expect(a.detectionSource).to.match(/^microsoftDefenderFor(Servers|Storage|KeyVault|Cloud)$/);
    const plain = json(t.graph(req(AL, { query: '$top=2000' }))).value as J[];
    const byId = new Map(plain.map((a) => [a.id, a]));
    for (const a of hidden) expect(byId.get(a.id)).to.include({ serviceSource: 'unknownFutureValue', detectionSource: 'unknownFutureValue' });
    for (const a of all.filter((x) => x.serviceSource !== 'microsoftDefenderForCloud')) expect(byId.get(a.id)).to.deep.equal(a);
    expect(t.graph(req(AL, { query: '$top=1' }))?.headers).to.not.have.property('preference-applied');
    expect(t.graph(req(AL, { query: '$top=1', headers: PREFER }))?.headers).to.include({ 'preference-applied': 'include-unknown-enum-members' });
    // one alert, and the answer of a PATCH
    const one = hidden[0];
    expect(json(t.graph(req(`${AL}/${one.id}`))).serviceSource).to.equal('unknownFutureValue');
    expect(json(t.graph(req(`${AL}/${one.id}`, { headers: { prefer: 'return=minimal, Include-Unknown-Enum-Members' } }))).serviceSource).to.equal('microsoftDefenderForCloud');
    expect(json(t.graph(req(`${AL}/${one.id}`, { method: 'PATCH', body: { assignedTo: 'a@contoso.com' } }))).detectionSource).to.equal('unknownFutureValue');
    expect(json(t.graph(req(`${AL}/${one.id}`, { method: 'PATCH', body: { assignedTo: 'a@contoso.com' }, headers: PREFER }))).detectionSource).to.equal(one.detectionSource);
    // the control API sees the truth
    expect(t.control.alert(one.id)?.serviceSource).to.equal('microsoftDefenderForCloud');
  });

  it('in $filter: a hidden member is a 400 without it; eq unknownFutureValue matches the hidden ones without it and nothing with it', () => {
    const res = t.graph(req(AL, { query: qs({ $filter: "serviceSource eq 'microsoftDefenderForCloud'" }) }));
    expect(res?.status).to.equal(400);
    expect(errorOf(res).message).to.equal("The query specified in the URI is not valid. The string 'microsoftDefenderForCloud' is not a valid enumeration type constant.");
    expect(count(t, "serviceSource eq 'microsoftDefenderForCloud'")).to.equal(hidden.length);
    expect(count(t, "serviceSource eq 'unknownFutureValue'", {})).to.equal(hidden.length);
    expect(count(t, "serviceSource eq 'unknownFutureValue'")).to.equal(0);
    expect(count(t, "serviceSource ne 'unknownFutureValue'", {})).to.equal(all.length - hidden.length);
    expect(count(t, "serviceSource in ('microsoftDefenderForEndpoint','microsoftDefenderForCloud')")).to.equal(
      all.filter((a) => ['microsoftDefenderForEndpoint', 'microsoftDefenderForCloud'].includes(a.serviceSource)).length);
  });
});

describe('tenant/alerts: permissions', () => {
  const t = tenant(10, 5);
  const a = allAlerts(t)[0];

  it('SecurityAlert.Read.All (or an incident role) reads; update and comments need SecurityAlert.ReadWrite.All', () => {
    for (const roles of [READ_ONLY, GRAPH_RO, ['SecurityAlert.ReadWrite.All']]) {
      expect(t.graph(req(AL, { roles }))?.status, roles.join()).to.equal(200);
      expect(t.graph(req(`${AL}/${a.id}`, { roles }))?.status, roles.join()).to.equal(200);
    }
    for (const roles of [READ_ONLY, ['SecurityIncident.ReadWrite.All', 'SecurityAlert.Read.All']]) {
      const p = t.graph(req(`${AL}/${a.id}`, { method: 'PATCH', body: { status: 'inProgress' }, roles }));
      expect(p?.status, roles.join()).to.equal(403);
      expect(errorOf(p)).to.include({ code: 'Forbidden', message: `Missing application roles. API required roles: SecurityAlert.ReadWrite.All, application roles: ${roles.join(',')}.` });
      expect(t.graph(req(`${AL}/${a.id}/comments`, { method: 'POST', body: { comment: 'x' }, roles }))?.status, roles.join()).to.equal(403);
    }
    expect(json(t.graph(req(`${AL}/${a.id}`)))).to.deep.include({ status: a.status, comments: a.comments });
    const none = t.graph(req(AL, { roles: [] }));
    expect(none?.status).to.equal(403);
    expect(errorOf(none).message).to.equal('Missing application roles. API required roles: SecurityAlert.Read.All,SecurityAlert.ReadWrite.All,SecurityIncident.Read.All,SecurityIncident.ReadWrite.All, application roles: .');
    expect(t.graph(req(`${AL}/${a.id}`, { method: 'PATCH', body: { status: 'inProgress' }, roles: ['SecurityAlert.ReadWrite.All'] }))?.status).to.equal(200);
  });
});

describe('tenant/alerts: seed and control', () => {
  it('the seeded alerts cover statuses, severities, verdicts, sources, owners, evidence, comments and customDetails', () => {
    const t = tenant(60, 42);
    const all = allAlerts(t);
    const values = (k: string): Set<string> => new Set(all.map((a) => a[k] as string));
    expect([...values('status')].sort()).to.deep.equal(['inProgress', 'new', 'resolved']);
    expect([...values('severity')].sort()).to.deep.equal(['high', 'informational', 'low', 'medium']);
    expect(values('classification').size).to.equal(4);
    expect(values('determination').size).to.be.at.least(8);
    expect(values('serviceSource').size).to.be.at.least(6);
    expect(values('serviceSource').has('microsoftDefenderForCloud')).to.equal(true);
    expect(values('detectionSource').size).to.be.at.least(8);
    expect(values('assignedTo').has(null as unknown as string)).to.equal(true);
    expect(values('assignedTo').size).to.be.at.least(3);
    expect(new Set(all.flatMap((a) => a.evidence.map((e: J) => e['@odata.type']))).size).to.be.at.least(6);
    expect(all.filter((a) => a.comments.length > 0).length).to.be.at.least(10);
    expect(all.filter((a) => Object.keys(a.customDetails).length > 0).length).to.be.at.least(1);
    for (const a of all) {
      expect(a.lastUpdateDateTime >= a.createdDateTime, a.id).to.equal(true);
      expect(a.lastUpdateDateTime <= NOW.toISOString(), a.id).to.equal(true);
      expect(a.resolvedDateTime !== null, a.id).to.equal(a.status === 'resolved');
      for (const c of a.comments) expect(c.createdDateTime >= a.createdDateTime && c.createdDateTime <= a.lastUpdateDateTime, a.id).to.equal(true);
    }
    // a burst of alerts sharing one lastUpdateDateTime to the 100 ns
    const counts = new Map<string, number>();
    for (const a of all) counts.set(a.lastUpdateDateTime, (counts.get(a.lastUpdateDateTime) ?? 0) + 1);
    const [shared, n] = [...counts.entries()].sort((x, y) => y[1] - x[1])[0];
    expect(n).to.be.at.least(3);
    expect(count(t, `lastUpdateDateTime eq ${shared}`)).to.equal(n);
    expect(allAlerts(tenant(60, 42))).to.deep.equal(all);
  });

  it('alerts: N seeds exactly N alerts over the incidents, each with at least one; fewer alerts than incidents is refused', () => {
    const t = createTenant({ seed: 3, incidents: 40, alerts: 173, tenantId: TENANT_ID, now: NOW });
    expect(t.control.alertCount()).to.equal(173);
    expect(allAlerts(t)).to.have.length(173);
    const incs = json(t.graph(req('/v1.0/security/incidents', { query: '$expand=alerts&$top=50' }))).value as J[];
    expect(incs).to.have.length(40);
    for (const i of incs) expect(i.alerts.length, i.id).to.be.at.least(1);
    expect(createTenant({ seed: 3, incidents: 40, alerts: 40, tenantId: TENANT_ID, now: NOW }).control.alertCount()).to.equal(40);
    expect(() => createTenant({ seed: 3, incidents: 40, alerts: 39, tenantId: TENANT_ID, now: NOW })).to.throw(/Cannot seed 39 alerts over 40 incidents/);
    expect(createTenant({ seed: 3, incidents: 0, alerts: 0, tenantId: TENANT_ID, now: NOW }).control.alertCount()).to.equal(0);
  });

  it('seeds 10,000 alerts and pages them on the time boundary (time printed, not asserted)', () => {
    const t0 = performance.now();
    const big = createTenant({ seed: 1, incidents: 4000, alerts: 10_000, tenantId: TENANT_ID, now: NOW });
    const seeded = performance.now() - t0;
    expect(big.control.alertCount()).to.equal(10_000);
    const t1 = performance.now();
    const ids = new Set<string>();
    let since = '2000-01-01T00:00:00Z';
    for (let pages = 0; pages < 100; pages++) {
      const b = json(big.graph(req(AL, { query: qs({ $filter: `lastUpdateDateTime ge ${since}`, $orderby: 'lastUpdateDateTime asc', $top: 1000 }), headers: PREFER })));
      const before = ids.size;
      for (const a of b.value) ids.add(a.id);
      if (b.value.length < 1000) break;
      since = b.value[b.value.length - 1].lastUpdateDateTime;
      expect(ids.size, 'a page moves on').to.be.greaterThan(before);
    }
    expect(ids.size).to.equal(10_000);
    console.log(`      seeded 10,000 alerts in ${seeded.toFixed(0)} ms; paged them by lastUpdateDateTime in ${(performance.now() - t1).toFixed(0)} ms`);
  });

  it('updateAlert changes an alert as the service would; alert reads it; both faces see it', () => {
    const t = tenant(20, 5);
    const a = allAlerts(t).find((x) => x.severity === 'low' || x.severity === 'informational') as J;
    const u = t.control.updateAlert(a.id, { status: 'Resolved', severity: 'high', classification: 'TruePositive', determination: 'Clean', assignedTo: 'ops@contoso.com',
      customDetails: { k: 'v' }, comment: 'closed by control', serviceSource: 'microsoftDefenderForCloud', detectionSource: 'microsoftDefenderForStorage', title: 'Renamed' }, LATER);
    expect(u).to.include({ status: 'resolved', severity: 'high', classification: 'truePositive', determination: 'notMalicious', assignedTo: 'ops@contoso.com',
      serviceSource: 'microsoftDefenderForCloud', detectionSource: 'microsoftDefenderForStorage', title: 'Renamed', lastUpdateDateTime: LATER_ISO, resolvedDateTime: LATER_ISO });
    expect((u?.comments as J[]).at(-1)).to.deep.equal({ comment: 'closed by control', createdByDisplayName: 'Emulator control', createdDateTime: LATER_ISO });
    expect(t.control.alert(a.id)).to.deep.equal(u);
    expect(json(t.graph(req(`${AL}/${a.id}`))).serviceSource).to.equal('unknownFutureValue');
    const inc = json(t.graph(req(`/v1.0/security/incidents/${a.incidentId}`)));
    expect(inc).to.include({ severity: 'high', lastUpdateDateTime: LATER_ISO });
    // an explicit time (a burst); the incident keeps its later time
    const v = t.control.updateAlert(a.id, { lastUpdateDateTime: '2025-05-31T00:00:00.1234567Z', assignedTo: null }, LATER);
    expect(v).to.include({ lastUpdateDateTime: '2025-05-31T00:00:00.1234567Z', assignedTo: null });
    expect(json(t.graph(req(`/v1.0/security/incidents/${a.incidentId}`))).lastUpdateDateTime).to.equal(LATER_ISO);
    expect(t.control.updateAlert('nope', { status: 'new' }, LATER)).to.equal(undefined);
    expect(t.control.alert('nope')).to.equal(undefined);
    expect(() => t.control.updateAlert(a.id, { status: 'closed' }, LATER)).to.throw(/Invalid status 'closed'/);
    expect(() => t.control.updateAlert(a.id, { serviceSource: 'unknownFutureValue' }, LATER)).to.throw(/Invalid serviceSource/);
    expect(() => t.control.updateAlert(a.id, { customDetails: { n: 1 } as unknown as Record<string, string> }, LATER)).to.throw(/Invalid customDetails/);
    expect(() => t.control.updateAlert(a.id, { lastUpdateDateTime: 'yesterday' }, LATER)).to.throw(/Invalid lastUpdateDateTime/);
  });

  it('addAlert takes any service source, Defender for Cloud included, and a detection source', () => {
    const t = tenant(5, 5);
    const inc = json(t.graph(req('/v1.0/security/incidents', { query: '$top=1' }))).value[0];
    for (const src of ['microsoftDefenderForCloud', 'dataLossPrevention', 'microsoftDefenderForIdentity']) {
      const a = t.control.addAlert(inc.id, { serviceSource: src, detectionSource: 'manual' }, LATER);
      expect(a).to.include({ serviceSource: src, detectionSource: 'manual' });
    }
    expect(() => t.control.addAlert(inc.id, { detectionSource: 'psychic' }, LATER)).to.throw(/Invalid detectionSource 'psychic'/);
  });
});
