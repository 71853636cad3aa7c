import { expect } from 'chai';
import { FakeEngine, GRAPH_RO, NOW, ORIGIN, TENANT_ID, type J, json, qs, req, tenant } from './testkit';

const INC = '/v1.0/security/incidents';

describe('tenant/graph: GET /security/incidents', () => {
  const t = tenant(60);

  it("docs example: $filter=status+eq+'active' returns only active incidents, with @odata.context", () => {
    const res = t.graph(req(INC, { query: "$filter=status+eq+'active'" }));
    expect(res?.status).to.equal(200);
    const body = json(res);
    expect(body['@odata.context']).to.equal(`${ORIGIN}/v1.0/$metadata#security/incidents`);
    expect(body.value.length).to.be.greaterThan(0);
    for (const i of body.value) expect(i.status).to.equal('active');
  });

  it('docs example: $top=10 gives 10 and a nextLink; $count=true gives @odata.count', () => {
    const body = json(t.graph(req(INC, { query: '$top=10&$count=true' })));
    expect(body.value).to.have.length(10);
    expect(body['@odata.count']).to.equal(60);
    expect(body['@odata.nextLink']).to.equal(`${ORIGIN}${INC}?$top=10&$count=true&$skip=10`);
  });

  it('docs example: $expand=alerts embeds alerts with typed evidence', () => {
    const body = json(t.graph(req(INC, { query: '$expand=alerts&$top=5' })));
    expect(body['@odata.context']).to.equal(`${ORIGIN}/v1.0/$metadata#security/incidents(alerts())`);
    for (const i of body.value) {
      expect(i.alerts.length).to.be.within(1, 4);
      for (const a of i.alerts) {
        expect(a['@odata.type']).to.equal('#microsoft.graph.security.alert');
        expect(a.incidentId).to.equal(i.id);
        expect(a.id).to.match(/^[a-z]{2}\d{18}_-?\d+$/);
        for (const e of a.evidence) expect(e['@odata.type']).to.match(/^#microsoft\.graph\.security\.[a-zA-Z]+Evidence$/);
      }
    }
    expect(json(t.graph(req(INC, { query: '$top=1' }))).value[0]).to.not.have.property('alerts');
  });

  it('incident shape: numeric string id, 7-digit times, metadata-cased enums', () => {
    const i = json(t.graph(req(INC, { query: '$top=1' }))).value[0];
    expect(i.id).to.match(/^\d{7}$/);
    expect(i.incidentWebUrl).to.equal(`https://security.microsoft.com/incidents/${i.id}?tid=${TENANT_ID}`);
    expect(i.createdDateTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(i).to.include.keys('assignedTo', 'classification', 'determination', 'status', 'severity', 'customTags', 'comments', 'redirectIncidentId', 'tenantId');
  });

  it('$top=51 is a 400 with the OData message; $top=50 is fine', () => {
    const res = t.graph(req(INC, { query: '$top=51' }));
    expect(res?.status).to.equal(400);
    const e = json(res).error;
    expect(e.message).to.equal("The query specified in the URI is not valid. The limit of '50' for Top query has been exceeded. The value from the incoming request is '51'.");
    expect(e.innerError).to.include.keys('date', 'request-id', 'client-request-id');
    expect(t.graph(req(INC, { query: '$top=50' }))?.status).to.equal(200);
    expect(t.graph(req(INC, { query: '$top=-1' }))?.status).to.equal(400);
  });

  it('every comparison operator on lastUpdateDateTime agrees with a direct count', () => {
    const all = json(t.graph(req(INC, { query: '$top=50' }))).value.concat(json(t.graph(req(INC, { query: '$top=50&$skip=50' }))).value) as J[];
    expect(all).to.have.length(60);
    const pivot = all[17].lastUpdateDateTime as string;
    const cases: Array<[string, (x: string) => boolean]> = [
      ['eq', (x) => x === pivot], ['ne', (x) => x !== pivot], ['gt', (x) => x > pivot], ['ge', (x) => x >= pivot], ['lt', (x) => x < pivot], ['le', (x) => x <= pivot],
    ];
    for (const [op, f] of cases) {
      const body = json(t.graph(req(INC, { query: qs({ $filter: `lastUpdateDateTime ${op} ${pivot}`, $count: 'true', $top: 1 }) })));
      expect(body['@odata.count'], op).to.equal(all.filter((i) => f(i.lastUpdateDateTime)).length);
    }
  });

  it('and / or / parentheses / in / not / null over the documented fields', () => {
    const count = (filter: string): number => json(t.graph(req(INC, { query: qs({ $filter: filter, $count: 'true', $top: 1 }) })))['@odata.count'];
    const active = count("status eq 'active'"), high = count("severity eq 'high'");
    const activeHigh = count("status eq 'active' and severity eq 'high'");
    expect(count("status eq 'active' or severity eq 'high'")).to.equal(active + high - activeHigh);
    expect(count("(status eq 'active' or status eq 'resolved') and severity eq 'high'")).to.equal(count("status in ('active','resolved') and severity eq 'high'"));
    expect(count("not (status eq 'active')")).to.equal(60 - active);
    expect(count('assignedTo eq null') + count('assignedTo ne null')).to.equal(60);
    expect(count("classification eq 'truePositive' and determination ne 'unknown'")).to.be.greaterThan(0);
    expect(count('createdDateTime ge 2025-05-02T12:00:00Z and createdDateTime lt 2025-06-01T12:00:00Z')).to.equal(60);
  });

  it("percent-encoded filters with quotes ('' doubled), unicode, %, &, #, + reach the parser intact", () => {
    const all = json(t.graph(req(INC, { query: '$top=50' }))).value as J[];
    const tricky = all.find((i) => /['"%&#+]|[^\x00-\x7f]/.test(i.assignedTo ?? '')) ?? all.find((i) => i.assignedTo);
    expect(tricky).to.not.equal(undefined);
    const literal = `'${(tricky?.assignedTo as string).replace(/'/g, "''")}'`;
    const body = json(t.graph(req(INC, { query: qs({ $filter: `assignedTo eq ${literal}`, $count: 'true' }) })));
    expect(body.value.length).to.be.greaterThan(0);
    for (const i of body.value) expect(i.assignedTo).to.equal(tricky?.assignedTo);
    // A quote in the value, correctly doubled, is no error; undoubled it is.
    expect(t.graph(req(INC, { query: qs({ $filter: "assignedTo eq 'o''brien & co #1 100% +x'" }) }))?.status).to.equal(200);
    expect(t.graph(req(INC, { query: qs({ $filter: "assignedTo eq 'o'brien'" }) }))?.status).to.equal(400);
  });

  it('a date-time offset must arrive as %2B; a raw + becomes a space and is a syntax error', () => {
    expect(t.graph(req(INC, { query: '$filter=createdDateTime+gt+2025-05-20T00:00:00%2B02:00' }))?.status).to.equal(200);
    const bad = t.graph(req(INC, { query: '$filter=createdDateTime+gt+2025-05-20T00:00:00+02:00' }));
    expect(bad?.status).to.equal(400);
    expect(json(bad).error.message).to.match(/Syntax error at position/);
  });

  it('unsupported filter fields, malformed filters and bad enum values are 400 with the Graph error body', () => {
    for (const f of ["displayName eq 'x'", "id eq '1'", "status eq 'closed'", "status eq 'active' and", "status eq active", "createdDateTime gt '2024-01-01'"]) {
      const res = t.graph(req(INC, { query: qs({ $filter: f }) }));
      expect(res?.status, f).to.equal(400);
      expect(json(res).error.message, f).to.match(/^The query specified in the URI is not valid\. /);
    }
    expect(json(t.graph(req(INC, { query: qs({ $filter: "displayName eq 'x'" }) }))).error.message)
      .to.equal("The query specified in the URI is not valid. The property 'displayName' cannot be used in the $filter query option.");
    expect(t.graph(req(INC, { query: '$expand=comments' }))?.status).to.equal(400);
    expect(t.graph(req(INC, { query: '$foo=1' }))?.status).to.equal(400);
    expect(t.graph(req(INC, { query: '$top=1&$top=2' }))?.status).to.equal(400);
  });

  it('default order is newest first; $orderby takes several keys asc and desc', () => {
    const v = json(t.graph(req(INC, { query: '$top=50' }))).value as J[];
    for (let k = 1; k < v.length; k++) expect(v[k - 1].createdDateTime >= v[k].createdDateTime).to.equal(true);
    const asc = json(t.graph(req(INC, { query: qs({ $orderby: 'lastUpdateDateTime asc', $top: 50 }) }))).value as J[];
    for (let k = 1; k < asc.length; k++) expect(asc[k - 1].lastUpdateDateTime <= asc[k].lastUpdateDateTime).to.equal(true);
    const multi = json(t.graph(req(INC, { query: qs({ $orderby: 'severity desc,createdDateTime asc', $top: 50 }) }))).value as J[];
    const rank = ['unknown', 'informational', 'low', 'medium', 'high'];
    for (let k = 1; k < multi.length; k++) {
      const a = rank.indexOf(multi[k - 1].severity), b = rank.indexOf(multi[k].severity);
      expect(a >= b).to.equal(true);
      if (a === b) expect(multi[k - 1].createdDateTime <= multi[k].createdDateTime).to.equal(true);
    }
    expect(t.graph(req(INC, { query: '$orderby=nope' }))?.status).to.equal(400);
  });
});

describe('tenant/graph: paging with @odata.nextLink', () => {
  it('walks all 1,000 incidents with a filter and an order, with no loss or duplicate', () => {
    const t = tenant(1000, 9);
    const total = json(t.graph(req(INC, { query: qs({ $filter: "status ne 'redirected'", $count: 'true', $top: 1 }) })))['@odata.count'] as number;
    const seen = new Set<string>();
    let link: string | undefined = `${ORIGIN}${INC}?${qs({ $filter: "status ne 'redirected'", $orderby: 'lastUpdateDateTime asc', $top: 37 })}`;
    let pages = 0;
    while (link) {
      const u = new URL(link);
      expect(u.origin).to.equal(ORIGIN);
      const body = json(t.graph(req(u.pathname, { query: u.search.slice(1) })));
      for (const i of body.value) { expect(seen.has(i.id)).to.equal(false); expect(i.status).to.not.equal('redirected'); seen.add(i.id); }
      link = body['@odata.nextLink'];
      pages++;
      expect(pages).to.be.below(100);
    }
    expect(seen.size).to.equal(total);
    // Without $top a page holds 50.
    const first = json(t.graph(req(INC)));
    expect(first.value).to.have.length(50);
    expect(first['@odata.nextLink']).to.equal(`${ORIGIN}${INC}?$skip=50`);
  });
});

describe('tenant/graph: one incident, update, comments', () => {
  it('GET /incidents/{id} (with $expand=alerts) and 404 for an unknown id', () => {
    const t = tenant(30);
    const id = json(t.graph(req(INC, { query: '$top=1' }))).value[0].id as string;
    const res = t.graph(req(`${INC}/${id}`, { query: '$expand=alerts' }));
    expect(res?.status).to.equal(200);
    expect(json(res).id).to.equal(id);
    expect(json(res).alerts.length).to.be.greaterThan(0);
    const nf = t.graph(req(`${INC}/999999999`));
    expect(nf?.status).to.equal(404);
    expect(json(nf).error.code).to.equal('NotFound');
    expect(t.graph(req(`${INC}/abc`))?.status).to.equal(404);
  });

  it('docs example PATCH body updates, moves lastUpdateDateTime and returns the incident', () => {
    const t = tenant(30);
    const id = json(t.graph(req(INC, { query: "$filter=status eq 'active'&$top=1" }))).value[0].id as string;
    const later = new Date(NOW.getTime() + 60000);
    const res = t.graph(req(`${INC}/${id}`, { method: 'PATCH', now: later, body: { classification: 'TruePositive', determination: 'MultiStagedAttack', customTags: ['Demo'] } }));
    expect(res?.status).to.equal(200);
    const b = json(res);
    expect(b).to.include({ id, classification: 'truePositive', determination: 'multiStagedAttack', lastUpdateDateTime: '2025-06-01T12:01:00.0000000Z' });
    expect(b.customTags).to.deep.equal(['Demo']);
    const again = json(t.graph(req(`${INC}/${id}`)));
    expect(again.determination).to.equal('multiStagedAttack');
    const upd = t.graph(req(`${INC}/${id}`, { method: 'PATCH', body: { status: 'resolved', assignedTo: null } }));
    expect(json(upd)).to.include({ status: 'resolved', assignedTo: null });
  });

  it('PATCH validates enums, types and property names', () => {
    const t = tenant(10);
    const id = json(t.graph(req(INC, { query: '$top=1' }))).value[0].id as string;
    const bad = (body: unknown): J => { const r = t.graph(req(`${INC}/${id}`, { method: 'PATCH', body })); expect(r?.status).to.equal(400); return json(r).error; };
    expect(bad({ status: 'closed' }).message).to.equal("Cannot convert the literal 'closed' to the expected type 'microsoft.graph.security.incidentStatus'.");
    bad({ classification: 'maybe' });
    bad({ determination: 'compromisedUser' }); // a doc-table name that is not in the service metadata
    bad({ severity: 'high' }); // not updatable
    expect(bad({ colour: 'red' }).message).to.match(/^The property 'colour' does not exist on type 'microsoft\.graph\.security\.incident'/);
    bad({ customTags: 'Demo' });
    bad({ assignedTo: 5 });
    expect(t.graph(req(`${INC}/${id}`, { method: 'PATCH', body: '{not json' }))?.status).to.equal(400);
    expect(t.graph(req(`${INC}/424242424`, { method: 'PATCH', body: { status: 'active' } }))?.status).to.equal(404);
    expect(t.graph(req(`${INC}/${id}`, { method: 'PATCH', body: { '@odata.type': '#microsoft.graph.security.incident', status: 'inProgress' } }))?.status).to.equal(200);
  });

  it('docs example: POST /incidents/{id}/comments returns the full list', () => {
    const t = tenant(10);
    const inc = json(t.graph(req(INC, { query: '$top=1' }))).value[0];
    const before = inc.comments.length as number;
    const res = t.graph(req(`${INC}/${inc.id}/comments`, { method: 'POST', body: { '@odata.type': 'microsoft.graph.security.alertComment', comment: 'Demo for docs' } }));
    expect(res?.status).to.equal(200);
    const v = json(res).value as J[];
    expect(v).to.have.length(before + 1);
    expect(v[v.length - 1]).to.deep.equal({ comment: 'Demo for docs', createdByDisplayName: 'Emulator test app', createdDateTime: '2025-06-01T12:00:00.0000000Z' });
    expect(t.graph(req(`${INC}/${inc.id}/comments`, { method: 'POST', body: {} }))?.status).to.equal(400);
  });
});

describe('tenant/graph: permissions', () => {
  const t = tenant(10);
  it('a read-only app reads but gets 403 Forbidden on PATCH and comments, with Graph\'s message', () => {
    const before = json(t.graph(req(INC, { query: "$filter=status eq 'active'&$top=1", roles: GRAPH_RO }))).value[0];
    const id = before.id as string;
    const res = t.graph(req(`${INC}/${id}`, { method: 'PATCH', roles: GRAPH_RO, body: { status: 'resolved' } }));
    expect(res?.status).to.equal(403);
    expect(json(res).error).to.include({ code: 'Forbidden', message: 'Missing application roles. API required roles: SecurityIncident.ReadWrite.All, application roles: SecurityIncident.Read.All.' });
    expect(t.graph(req(`${INC}/${id}/comments`, { method: 'POST', roles: GRAPH_RO, body: { comment: 'x' } }))?.status).to.equal(403);
    expect(json(t.graph(req(`${INC}/${id}`, { roles: GRAPH_RO })))).to.deep.equal({ '@odata.context': `${ORIGIN}/v1.0/$metadata#security/incidents/$entity`, ...before });
  });
  it('no role: 403 on list, alerts and hunting', () => {
    const res = t.graph(req(INC, { roles: [] }));
    expect(res?.status).to.equal(403);
    expect(json(res).error.message).to.equal('Missing application roles. API required roles: SecurityIncident.Read.All,SecurityIncident.ReadWrite.All, application roles: .');
    expect(t.graph(req('/v1.0/security/alerts_v2', { roles: [] }))?.status).to.equal(403);
    expect(t.graph(req('/v1.0/security/runHuntingQuery', { method: 'POST', roles: GRAPH_RO, body: { Query: 'DeviceInfo' } }))?.status).to.equal(403);
  });
});

describe('tenant/graph: alerts_v2', () => {
  const t = tenant(40);
  it('lists with $filter on documented fields, $top, $skip, nextLink; gets one', () => {
    const body = json(t.graph(req('/v1.0/security/alerts_v2', { query: qs({ $filter: "serviceSource eq 'microsoftDefenderForEndpoint'", $top: 5, $count: 'true' }) })));
    expect(body['@odata.context']).to.equal(`${ORIGIN}/v1.0/$metadata#security/alerts_v2`);
    for (const a of body.value) expect(a.serviceSource).to.equal('microsoftDefenderForEndpoint');
    expect(body['@odata.count']).to.be.greaterThan(5);
    expect(body['@odata.nextLink']).to.contain('$skip=5');
    const one = t.graph(req(`/v1.0/security/alerts_v2/${body.value[0].id}`));
    expect(json(one).id).to.equal(body.value[0].id);
    expect(t.graph(req('/v1.0/security/alerts_v2/da0_1'))?.status).to.equal(404);
    expect(t.graph(req('/v1.0/security/alerts_v2', { query: qs({ $filter: "title eq 'x'" }) }))?.status).to.equal(400);
  });
  it('evidence carries files with MD5/SHA1/SHA256, devices, users, IPs, URLs, mailboxes', () => {
    const all: J[] = [];
    let link: string | undefined = `${ORIGIN}/v1.0/security/alerts_v2?$top=200`;
    while (link) { const u = new URL(link); const b = json(t.graph(req(u.pathname, { query: u.search.slice(1) }))); all.push(...b.value); link = b['@odata.nextLink']; }
    const types = new Set(all.flatMap((a) => a.evidence.map((e: J) => e['@odata.type'])));
    for (const ty of ['deviceEvidence', 'fileEvidence', 'processEvidence', 'ipEvidence', 'urlEvidence', 'userEvidence', 'mailboxEvidence', 'analyzedMessageEvidence']) {
      expect(types.has(`#microsoft.graph.security.${ty}`), ty).to.equal(true);
    }
    const file = all.flatMap((a) => a.evidence).find((e: J) => e['@odata.type'] === '#microsoft.graph.security.fileEvidence');
    expect(file.fileDetails.md5).to.match(/^[0-9a-f]{32}$/);
    expect(file.fileDetails.sha1).to.match(/^[0-9a-f]{40}$/);
    expect(file.fileDetails.sha256).to.match(/^[0-9a-f]{64}$/);
  });
});

describe('tenant/graph: runHuntingQuery', () => {
  it('runs the engine with the Timespan window and answers schema/results', () => {
    const t = tenant(5);
    const engine = new FakeEngine();
    expect(t.graph(req('/v1.0/security/runHuntingQuery', { method: 'POST', body: { Query: 'DeviceInfo' } }))?.status).to.equal(503);
    t.attachHunting(engine);
    const res = t.graph(req('/v1.0/security/runHuntingQuery', { method: 'POST', body: { Query: 'DeviceInfo | take 1' } }));
    expect(res?.status).to.equal(200);
    expect(json(res)).to.deep.equal({
      '@odata.context': `${ORIGIN}/v1.0/$metadata#microsoft.graph.security.huntingQueryResults`,
      schema: [{ name: 'Timestamp', type: 'DateTime' }, { name: 'DeviceName', type: 'String' }],
      results: [{ Timestamp: '2025-05-31T10:00:00.0000000Z', DeviceName: 'finance-001.contoso.com' }],
    });
    expect(engine.calls[0].options.from?.toISOString()).to.equal('2025-05-02T12:00:00.000Z');
    const windows: Array<[string, string, string]> = [
      ['P7D', '2025-05-25T12:00:00.000Z', '2025-06-01T12:00:00.000Z'],
      ['2024-02-01T08:00:00Z/2024-02-15T08:00:00Z', '2024-02-01T08:00:00.000Z', '2024-02-15T08:00:00.000Z'],
      ['P30D/2024-02-15T08:00:00Z', '2024-01-16T08:00:00.000Z', '2024-02-15T08:00:00.000Z'],
      ['2024-02-01T08:00:00Z/P1DT12H', '2024-02-01T08:00:00.000Z', '2024-02-02T20:00:00.000Z'],
      ['2025-05-31T00:00:00Z', '2025-05-31T00:00:00.000Z', '2025-06-01T12:00:00.000Z'],
    ];
    for (const [ts, from, to] of windows) {
      expect(t.graph(req('/v1.0/security/runHuntingQuery', { method: 'POST', body: { Query: 'x', Timespan: ts } }))?.status, ts).to.equal(200);
      const o = engine.calls[engine.calls.length - 1].options;
      expect([o.from?.toISOString(), o.to?.toISOString()], ts).to.deep.equal([from, to]);
    }
    expect(t.graph(req('/v1.0/security/runHuntingQuery', { method: 'POST', body: { Query: 'x', Timespan: 'yesterday' } }))?.status).to.equal(400);
    expect(t.graph(req('/v1.0/security/runHuntingQuery', { method: 'POST', body: { Timespan: 'P1D' } }))?.status).to.equal(400);
    expect(t.graph(req('/v1.0/security/runHuntingQuery', { method: 'POST', body: { query: 'lower-case key' } }))?.status).to.equal(200);
    const failed = t.graph(req('/v1.0/security/runHuntingQuery', { method: 'POST', body: { Query: 'boom' } }));
    expect(failed?.status).to.equal(400);
    expect(json(failed).error).to.include({ code: 'BadRequest', message: "Query could not be parsed at 'boom' on line [1,0]" });
  });
  it('answers undefined for paths it does not own', () => {
    const t = tenant(5);
    expect(t.graph(req('/v1.0/security/secureScores'))).to.equal(undefined);
    expect(t.graph(req('/v1.0/users'))).to.equal(undefined);
  });
});

describe('tenant/graph: $select and odd paths', () => {
  it('$select keeps the named properties; a bad name is a 400; a malformed escape in the path is a 404', () => {
    const t = tenant(5);
    const v = json(t.graph(req('/v1.0/security/incidents', { query: '$select=id,status&$top=2' }))).value as J[];
    expect(Object.keys(v[0]).sort()).to.deep.equal(['@odata.type', 'id', 'status']);
    expect(t.graph(req('/v1.0/security/incidents', { query: '$select=nope' }))?.status).to.equal(400);
    expect(t.graph(req('/v1.0/security/incidents/%E0%A4%A'))?.status).to.equal(404);
    expect(t.graph(req('/v1.0/security/incidents', { method: 'DELETE' }))?.status).to.equal(405);
  });
});

describe('tenant/graph: evolvable enums and Prefer: include-unknown-enum-members', () => {
  const t = tenant(20, 7);
  const PREFER = { prefer: 'include-unknown-enum-members' };
  // an incident Defender Experts set to awaitingAction, with a Defender for Cloud alert from a Defender for Databases detection
  const added = t.control.addIncident({ displayName: 'Experts need you', status: 'awaitingAction', serviceSource: 'microsoftDefenderForCloud', detectionSource: 'microsoftDefenderForDatabases', alerts: 1 }, NOW);
  const id = String(added.id);
  const alertId = String((added.alerts as J[])[0]!.id);

  it('without the header, later members read as unknownFutureValue (incident, alerts, lists) and no preference is applied', () => {
    const res = t.graph(req(`${INC}/${id}`, { query: '$expand=alerts' }));
    expect(res?.headers?.['preference-applied']).to.equal(undefined);
    const inc = json(res);
    expect(inc.status).to.equal('unknownFutureValue');
    expect([inc.alerts[0].serviceSource, inc.alerts[0].detectionSource]).to.deep.equal(['unknownFutureValue', 'unknownFutureValue']);
    const listed = json(t.graph(req(INC, { query: '$top=50&$expand=alerts' }))).value.find((i: J) => i.id === id);
    expect(listed.status).to.equal('unknownFutureValue');
    const alert = json(t.graph(req(`/v1.0/security/alerts_v2/${alertId}`)));
    expect([alert.serviceSource, alert.detectionSource]).to.deep.equal(['unknownFutureValue', 'unknownFutureValue']);
    // members before the sentinel are as they are
    const other = json(t.graph(req(INC, { query: '$top=50&$expand=alerts' }))).value.find((i: J) => i.id !== id);
    expect(['active', 'inProgress', 'resolved', 'redirected']).to.include(other.status);
  });

  it('with the header, the members themselves, and Preference-Applied says so', () => {
    const res = t.graph(req(`${INC}/${id}`, { query: '$expand=alerts', headers: PREFER }));
    expect(res?.headers?.['preference-applied']).to.equal('include-unknown-enum-members');
    const inc = json(res);
    expect(inc.status).to.equal('awaitingAction');
    expect([inc.alerts[0].serviceSource, inc.alerts[0].detectionSource]).to.deep.equal(['microsoftDefenderForCloud', 'microsoftDefenderForDatabases']);
    // among other preferences, in any case
    const mixed = json(t.graph(req(`/v1.0/security/alerts_v2/${alertId}`, { headers: { prefer: 'odata.maxpagesize=10, Include-Unknown-Enum-Members' } })));
    expect(mixed.serviceSource).to.equal('microsoftDefenderForCloud');
    // an error is not a preference applied
    expect(t.graph(req(`${INC}/999999`, { headers: PREFER }))?.headers?.['preference-applied']).to.equal(undefined);
  });

  it("filters: a later member is a 400 without the header; eq 'unknownFutureValue' finds the hidden ones", () => {
    const bad = t.graph(req(INC, { query: qs({ $filter: "status eq 'awaitingAction'" }) }));
    expect(bad?.status).to.equal(400);
    expect(json(bad).error.message).to.match(/not a valid enumeration type constant/);
    const hidden = json(t.graph(req(INC, { query: qs({ $filter: "status eq 'unknownFutureValue'" }) }))).value;
    expect(hidden.map((i: J) => i.id)).to.deep.equal([id]);
    const withHeader = json(t.graph(req(INC, { query: qs({ $filter: "status eq 'awaitingAction'" }), headers: PREFER }))).value;
    expect(withHeader.map((i: J) => [i.id, i.status])).to.deep.equal([[id, 'awaitingAction']]);
    expect(json(t.graph(req(INC, { query: qs({ $filter: "status eq 'unknownFutureValue'" }), headers: PREFER }))).value).to.deep.equal([]);
    expect(t.graph(req('/v1.0/security/alerts_v2', { query: qs({ $filter: "serviceSource eq 'microsoftDefenderForCloud'" }) }))?.status).to.equal(400);
    // the seed holds Defender for Cloud alerts of its own: the one made here is among them, and each is one
    const cloud = json(t.graph(req('/v1.0/security/alerts_v2', { query: qs({ $filter: "serviceSource eq 'microsoftDefenderForCloud'", $top: '2000' }), headers: PREFER }))).value;
    expect(cloud.map((a: J) => a.id)).to.include(alertId);
    expect(cloud.every((a: J) => a.serviceSource === 'microsoftDefenderForCloud')).to.equal(true);
  });

  it('the Defender XDR face names them its own way', () => {
    const inc = json(t.defender(req(`/api/incidents/${id}`)));
    expect([inc.alerts[0].serviceSource, inc.alerts[0].detectionSource]).to.deep.equal(['MicrosoftDefenderForCloud', 'DefenderForDatabases']);
  });
});
