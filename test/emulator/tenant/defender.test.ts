import { expect } from 'chai';
import { FakeEngine, LEGACY_RO, NOW, ORIGIN, TENANT_ID, type J, json, qs, req, tenant } from './testkit';

const API = '/api/incidents';

describe('tenant/defender: GET /api/incidents', () => {
  const t = tenant(150, 3);

  it('docs example: $filter=lastUpdateTime ge … with legacy shapes', () => {
    const res = t.defender(req(API, { query: qs({ $filter: 'lastUpdateTime ge 2025-05-25T00:00:00Z' }) }));
    expect(res?.status).to.equal(200);
    const body = json(res);
    expect(body['@odata.context']).to.equal(`${ORIGIN}/api/$metadata#Incidents`);
    expect(body).to.not.have.property('@odata.nextLink');
    expect(body.value.length).to.be.greaterThan(0);
    for (const i of body.value) expect(i.lastUpdateTime >= '2025-05-25T00:00:00').to.equal(true);
    const i = body.value[0];
    expect(Object.keys(i).slice(0, 3)).to.deep.equal(['incidentId', 'incidentUri', 'redirectIncidentId']);
    expect(i.incidentId).to.be.a('number');
    expect(i.incidentUri).to.equal(`https://security.microsoft.com/incidents/${i.incidentId}?tid=${TENANT_ID}`);
    expect(['Active', 'InProgress', 'Resolved', 'Redirected']).to.include(i.status);
    expect(['UnSpecified', 'Informational', 'Low', 'Medium', 'High']).to.include(i.severity);
    for (const a of i.alerts) {
      expect(a.alertId).to.match(/^[a-z]{2}\d{18}_-?\d+$/);
      for (const e of a.entities) for (const v of Object.values(e)) expect(v).to.not.equal(null); // null keys omitted
      for (const d of a.devices) expect(d).to.have.property('mdatpDeviceId');
    }
  });

  it('$filter on status (PascalCase), assignedTo and createdTime; others are ODataError 400', () => {
    const body = json(t.defender(req(API, { query: qs({ $filter: "status eq 'Active' and createdTime gt 2025-05-10T00:00:00Z" }) })));
    for (const i of body.value) { expect(i.status).to.equal('Active'); expect(i.createdTime > '2025-05-10').to.equal(true); }
    const un = json(t.defender(req(API, { query: qs({ $filter: 'assignedTo eq null', $top: 100 }) })));
    for (const i of un.value) expect(i.assignedTo).to.equal(null);
    for (const f of ["severity eq 'High'", "status eq 'active'", "incidentName eq 'x'", 'lastUpdateTime ge 2025-05-25']) {
      const res = t.defender(req(API, { query: qs({ $filter: f }) }));
      expect(res?.status, f).to.equal(400);
      expect(json(res).error.code, f).to.equal('ODataError');
      expect(json(res).error).to.have.property('target');
    }
  });

  it('$top up to 100, 400 above; $skip pages with no overlap; newest first', () => {
    expect(json(t.defender(req(API))).value).to.have.length(100);
    const r = t.defender(req(API, { query: '$top=101' }));
    expect(r?.status).to.equal(400);
    expect(json(r).error.message).to.contain("The limit of '100' for Top query has been exceeded");
    const p1 = json(t.defender(req(API, { query: '$top=100' }))).value as J[];
    const p2 = json(t.defender(req(API, { query: '$top=100&$skip=100' }))).value as J[];
    expect(p1.length + p2.length).to.equal(150);
    expect(new Set([...p1, ...p2].map((i) => i.incidentId)).size).to.equal(150);
    for (let k = 1; k < p1.length; k++) expect(p1[k - 1].createdTime >= p1[k].createdTime).to.equal(true);
    expect(t.defender(req(API, { query: '$orderby=createdTime' }))?.status).to.equal(400);
  });

  it('GET /api/incidents/{id}; 404 ResourceNotFound', () => {
    const id = json(t.defender(req(API, { query: '$top=1' }))).value[0].incidentId as number;
    const one = json(t.defender(req(`${API}/${id}`)));
    expect(one.incidentId).to.equal(id);
    expect(one['@odata.context']).to.equal(`${ORIGIN}/api/$metadata#Incidents/$entity`);
    const nf = t.defender(req(`${API}/1`));
    expect(nf?.status).to.equal(404);
    expect(json(nf).error.code).to.equal('ResourceNotFound');
  });
});

describe('tenant/defender: PATCH /api/incidents/{id}', () => {
  it('docs example body: status, assignedTo, classification, determination, tags, comment', () => {
    const t = tenant(20);
    const id = json(t.defender(req(API, { query: "$filter=status eq 'Active'&$top=1" }))).value[0].incidentId as number;
    const later = new Date(NOW.getTime() + 5000);
    const res = t.defender(req(`${API}/${id}`, { method: 'PATCH', now: later, body: {
      status: 'Resolved', assignedTo: 'secop2@contoso.com', classification: 'TruePositive', determination: 'Malware', tags: ['Yossi\'s playground', 'Don\'t mess with the Zohan'], comment: 'pen testing',
    } }));
    expect(res?.status).to.equal(200);
    const b = json(res);
    expect(b).to.include({ incidentId: id, status: 'Resolved', assignedTo: 'secop2@contoso.com', classification: 'TruePositive', determination: 'Malware', lastUpdateTime: '2025-06-01T12:00:05.0000000Z' });
    expect(b.tags).to.deep.equal(["Yossi's playground", "Don't mess with the Zohan"]);
    expect(b.comments[b.comments.length - 1]).to.deep.equal({ comment: 'pen testing', createdBy: 'Emulator test app', createdTime: '2025-06-01T12:00:05.0000000Z' });
  });

  it('enum values are case-sensitive: a bad one is 400 InvalidRequestBody; determination must fit the classification', () => {
    const t = tenant(20);
    const id = json(t.defender(req(API, { query: '$top=1' }))).value[0].incidentId as number;
    for (const body of [{ status: 'resolved' }, { classification: 'truePositive' }, { determination: 'malware' }, { severity: 'High' },
      { classification: 'FalsePositive', determination: 'Malware' }, { tags: 'x' }]) {
      const res = t.defender(req(`${API}/${id}`, { method: 'PATCH', body }));
      expect(res?.status, JSON.stringify(body)).to.equal(400);
      expect(json(res).error.code).to.equal('InvalidRequestBody');
    }
    // The resource page's spelling is accepted as well as the update page's.
    const ok = t.defender(req(`${API}/${id}`, { method: 'PATCH', body: { classification: 'FalsePositive', determination: 'InsufficientData' } }));
    expect(json(ok).determination).to.equal('NoEnoughDataToValidate');
    expect(t.defender(req(`${API}/77`, { method: 'PATCH', body: { status: 'Active' } }))?.status).to.equal(404);
  });

  it('a read-only app gets 403 Forbidden with the legacy body', () => {
    const t = tenant(5);
    const id = json(t.defender(req(API, { query: '$top=1', roles: LEGACY_RO }))).value[0].incidentId as number;
    const res = t.defender(req(`${API}/${id}`, { method: 'PATCH', roles: LEGACY_RO, body: { status: 'Resolved' } }));
    expect(res?.status).to.equal(403);
    expect(json(res).error).to.include({ code: 'Forbidden', message: 'Missing application roles. API required roles: Incident.ReadWrite.All, application roles: Incident.Read.All' });
    expect(json(res).error.target).to.be.a('string');
    expect(t.defender(req(API, { roles: ['SecurityIncident.ReadWrite.All'] }))?.status).to.equal(403);
  });
});

describe('tenant: the same store behind both faces', () => {
  it('a change through one face is seen through the other, with each face\'s names', () => {
    const t = tenant(20);
    const g = json(t.graph(req('/v1.0/security/incidents', { query: "$filter=status eq 'active'&$top=1" }))).value[0];
    const l = json(t.defender(req(`${API}/${g.id}`)));
    expect(l.incidentId).to.equal(Number(g.id));
    expect(l.incidentName).to.equal(g.displayName);
    expect(l.createdTime).to.equal(g.createdDateTime);
    expect(l.tags).to.deep.equal(g.customTags);
    t.graph(req(`/v1.0/security/incidents/${g.id}`, { method: 'PATCH', body: { status: 'inProgress', classification: 'informationalExpectedActivity', determination: 'securityTesting' } }));
    expect(json(t.defender(req(`${API}/${g.id}`)))).to.include({ status: 'InProgress', classification: 'InformationalExpectedActivity', determination: 'SecurityTesting' });
    t.defender(req(`${API}/${g.id}`, { method: 'PATCH', now: new Date(NOW.getTime() + 1000), body: { status: 'Resolved', comment: 'closed via legacy' } }));
    const back = json(t.graph(req(`/v1.0/security/incidents/${g.id}`)));
    expect(back.status).to.equal('resolved');
    expect(back.lastUpdateDateTime).to.equal('2025-06-01T12:00:01.0000000Z');
    expect(back.comments[back.comments.length - 1]).to.include({ comment: 'closed via legacy', createdByDisplayName: 'Emulator test app' });
    const redirected = json(t.graph(req('/v1.0/security/incidents', { query: "$filter=status eq 'redirected'&$top=1" }))).value[0];
    expect(json(t.defender(req(`${API}/${redirected.id}`))).redirectIncidentId).to.equal(Number(redirected.redirectIncidentId));
  });
});

describe('tenant/defender: POST /api/advancedhunting/run', () => {
  it('{"Query"} → {Stats, Schema, Results}; missing query → InvalidRequestBody "Missing query."; engine errors keep their status', () => {
    const t = tenant(5);
    const engine = new FakeEngine();
    t.attachHunting(engine);
    const res = t.defender(req('/api/advancedhunting/run', { method: 'POST', body: { Query: 'DeviceInfo | take 1' } }));
    expect(res?.status).to.equal(200);
    const b = json(res);
    expect(b.Schema).to.deep.equal([{ Name: 'Timestamp', Type: 'DateTime' }, { Name: 'DeviceName', Type: 'String' }]);
    expect(b.Results).to.have.length(1);
    expect(b.Stats.ExecutionTime).to.equal(0.0312);
    expect(b.Stats.dataset_statistics[0].table_row_count).to.equal(1);
    expect(engine.calls[0].options.from).to.equal(undefined);
    for (const body of [{ query: 'lower-case key is not read' }, {}, 'not json']) {
      const r = t.defender(req('/api/advancedhunting/run', { method: 'POST', body }));
      expect(r?.status).to.equal(400);
      expect(json(r).error).to.include({ code: 'InvalidRequestBody', message: 'Missing query.' });
    }
    const failed = t.defender(req('/api/advancedhunting/run', { method: 'POST', body: { Query: 'boom' } }));
    expect(failed?.status).to.equal(400);
    expect(json(failed).error.code).to.equal('BadRequest');
    expect(t.defender(req('/api/advancedhunting/run', { method: 'POST', roles: LEGACY_RO, body: { Query: 'x' } }))?.status).to.equal(403);
    expect(t.defender(req('/api/machines'))).to.equal(undefined);
  });
});
