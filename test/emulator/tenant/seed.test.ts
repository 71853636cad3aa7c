import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { CLASSIFICATION, DETERMINATION, LIVE_STATUS } from './model';
import { NOW, ORIGIN, type J, json, qs, req, tenant } from './testkit';

function allGraph(t: ReturnType<typeof tenant>): J[] {
  const out: J[] = [];
  let link: string | undefined = `${ORIGIN}/v1.0/security/incidents?$top=50`;
  while (link) { const u = new URL(link); const b = json(t.graph(req(u.pathname, { query: u.search.slice(1) }))); out.push(...b.value); link = b['@odata.nextLink']; }
  return out;
}

describe('tenant/seed', () => {
  const t = tenant(60, 42);
  const incidents = allGraph(t);

  it('is deterministic for a seed and differs for another', () => {
    expect(allGraph(tenant(60, 42))).to.deep.equal(incidents);
    expect(JSON.stringify(tenant(60, 42).seedEntities())).to.equal(JSON.stringify(t.seedEntities()));
    expect(allGraph(tenant(60, 43))).to.not.deep.equal(incidents);
  });

  it('holds the requested number, created over the 30 days before now, ids numeric and unique', () => {
    expect(incidents).to.have.length(60);
    expect(t.control.incidentCount()).to.equal(60);
    const from = new Date(NOW.getTime() - 30 * 86400000).toISOString();
    for (const i of incidents) {
      expect(i.id).to.match(/^\d+$/);
      expect(i.createdDateTime >= from && i.createdDateTime <= NOW.toISOString()).to.equal(true);
      expect(i.lastUpdateDateTime >= i.createdDateTime).to.equal(true);
    }
    expect(new Set(incidents.map((i) => i.id)).size).to.equal(60);
  });

  it('every status, severity, classification and determination of the v1.0 enums occurs', () => {
    const has = (k: string): Set<string> => new Set(incidents.map((i) => i[k] as string));
    expect([...has('status')].sort()).to.deep.equal([...LIVE_STATUS].sort());
    expect([...has('severity')].sort()).to.deep.equal(['high', 'informational', 'low', 'medium', 'unknown']);
    expect([...has('classification')].sort()).to.deep.equal(CLASSIFICATION.filter((c) => c !== 'unknownFutureValue').sort());
    expect([...has('determination')].sort()).to.deep.equal(DETERMINATION.filter((c) => c !== 'unknownFutureValue').sort());
    // unknown/unknown goes together, and determinations fit their classification
    for (const i of incidents) expect(i.classification === 'unknown').to.equal(i.determination === 'unknown');
    for (const i of incidents.filter((x) => x.classification === 'falsePositive')) expect(['notMalicious', 'notEnoughDataToValidate', 'other']).to.include(i.determination);
  });

  it('redirected incidents point at a live incident', () => {
    const byId = new Map(incidents.map((i) => [i.id, i]));
    const red = incidents.filter((i) => i.status === 'redirected');
    expect(red.length).to.be.greaterThan(0);
    for (const i of red) {
      const target = byId.get(i.redirectIncidentId);
      expect(target, i.id).to.not.equal(undefined);
      expect(target?.status).to.not.equal('redirected');
    }
    for (const i of incidents.filter((x) => x.status !== 'redirected')) expect(i.redirectIncidentId).to.equal(null);
  });

  it('a few incidents share one lastUpdateDateTime exactly; names carry quotes and non-ASCII; some are unassigned', () => {
    const counts = new Map<string, number>();
    for (const i of incidents) counts.set(i.lastUpdateDateTime, (counts.get(i.lastUpdateDateTime) ?? 0) + 1);
    expect(Math.max(...counts.values())).to.be.at.least(3);
    expect(incidents.some((i) => i.displayName.includes("'"))).to.equal(true);
    expect(incidents.some((i) => i.displayName.includes('"'))).to.equal(true);
    expect(incidents.some((i) => /[^\x00-\x7f]/.test(i.displayName))).to.equal(true);
    expect(incidents.some((i) => i.assignedTo === null)).to.equal(true);
    expect(incidents.some((i) => i.assignedTo !== null)).to.equal(true);
    expect(incidents.some((i) => i.comments.length > 0 && i.customTags.length > 0)).to.equal(true);
    // A cursor `lastUpdateDateTime ge <shared>` sees every sibling of the burst.
    const shared = [...counts.entries()].find(([, n]) => n >= 3)?.[0] as string;
    const ge = json(t.graph(req('/v1.0/security/incidents', { query: qs({ $filter: `lastUpdateDateTime eq ${shared}`, $count: 'true' }) })));
    expect(ge['@odata.count']).to.equal(counts.get(shared));
  });

  it('hunting seeds refer to the same alerts and entities', () => {
    const entities = t.seedEntities();
    const alerts = t.seedAlerts();
    const alertIds = new Set(json(t.graph(req('/v1.0/security/alerts_v2', { query: '$top=2000' }))).value.map((a: J) => a.id));
    expect(alerts.length).to.equal(alertIds.size);
    for (const a of alerts) expect(alertIds.has(a.alertId)).to.equal(true);
    const deviceIds = new Set(entities.devices.map((d) => d.deviceId));
    const machines = alerts.flatMap((a) => a.evidence).filter((e) => e.entityType === 'Machine');
    expect(machines.length).to.be.greaterThan(0);
    for (const m of machines) expect(deviceIds.has(m.deviceId as string)).to.equal(true);
    const sha = new Set(entities.files.map((f) => f.sha256));
    for (const e of alerts.flatMap((a) => a.evidence).filter((x) => x.entityType === 'File')) expect(sha.has(e.sha256 as string)).to.equal(true);
    expect(entities.users.some((u) => u.accountName !== u.accountName.toLowerCase())).to.equal(true); // mixed case
    for (const f of entities.files) { expect(f.md5).to.have.length(32); expect(f.sha1).to.have.length(40); expect(f.sha256).to.have.length(64); }
    expect(entities.mailboxes.length).to.be.greaterThan(0);
    expect(new Set(alerts.map((a) => a.severity))).to.satisfy((s: Set<string>) => [...s].every((v) => ['Informational', 'Low', 'Medium', 'High'].includes(v)));
  });

  it('seeds 10,000 incidents and pages them (time printed, not asserted)', () => {
    const t0 = performance.now();
    const big = tenant(10000, 1);
    const seeded = performance.now() - t0;
    const t1 = performance.now();
    const page = json(big.graph(req('/v1.0/security/incidents', { query: qs({ $filter: "status eq 'active' and severity in ('high','medium')", $count: 'true', $top: 50, $skip: 500 }) })));
    const listed = performance.now() - t1;
    expect(big.control.incidentCount()).to.equal(10000);
    expect(page.value).to.have.length(50);
    console.log(`      seeded 10,000 incidents in ${seeded.toFixed(0)} ms (${big.seedAlerts().length} alerts); one filtered page in ${listed.toFixed(1)} ms`);
  });
});

describe('tenant/control', () => {
  it('addIncident makes a new id with generated alerts; both faces see it', () => {
    const t = tenant(10);
    const added = t.control.addIncident({ displayName: "New 'one' – ü", severity: 'High', status: 'active', alerts: 2, customTags: ['x'] }, new Date(NOW.getTime() + 1000));
    expect(t.control.incidentCount()).to.equal(11);
    expect(added.displayName).to.equal("New 'one' – ü");
    expect(added.severity).to.equal('high');
    expect((added.alerts as J[])).to.have.length(2);
    const ids = allGraph(t).map((i) => Number(i.id));
    expect(Number(added.id)).to.equal(Math.max(...ids));
    expect(json(t.defender(req(`/api/incidents/${added.id}`))).incidentName).to.equal("New 'one' – ü");
    expect(() => t.control.addIncident({ status: 'closed' }, NOW)).to.throw(/Invalid status 'closed'/);
  });

  it('updateIncident moves lastUpdateDateTime (to now or the given time) and merges with redirectTo', () => {
    const t = tenant(10);
    const [a, b] = allGraph(t).filter((i) => i.status !== 'redirected');
    const later = new Date(NOW.getTime() + 7000);
    const u1 = t.control.updateIncident(a.id, { status: 'inProgress', assignedTo: 'someone@contoso.com' }, later);
    expect(u1).to.include({ status: 'inProgress', assignedTo: 'someone@contoso.com', lastUpdateDateTime: '2025-06-01T12:00:07.0000000Z' });
    const u2 = t.control.updateIncident(a.id, { lastUpdateDateTime: '2025-06-01T12:00:07.0000000Z', severity: 'low' }, later);
    expect(u2?.lastUpdateDateTime).to.equal('2025-06-01T12:00:07.0000000Z');
    const merged = t.control.updateIncident(a.id, { redirectTo: b.id }, later);
    expect(merged).to.include({ status: 'redirected', redirectIncidentId: b.id });
    expect(json(t.defender(req(`/api/incidents/${a.id}`)))).to.include({ status: 'Redirected', redirectIncidentId: Number(b.id) });
    expect(t.control.updateIncident('123', { status: 'active' }, later)).to.equal(undefined);
    expect(() => t.control.updateIncident(a.id, { redirectTo: a.id }, later)).to.throw(/Cannot redirect/);
  });

  it('addAlert attaches an alert, raises severity, moves lastUpdateDateTime, and shows in alerts_v2', () => {
    const t = tenant(10);
    const inc = allGraph(t).find((i) => i.severity === 'low' || i.severity === 'informational') as J;
    const later = new Date(NOW.getTime() + 3000);
    const alert = t.control.addAlert(inc.id, { title: 'Injected "alert"', severity: 'high', serviceSource: 'microsoftDefenderForEndpoint' }, later);
    expect(alert).to.include({ title: 'Injected "alert"', severity: 'high', incidentId: inc.id });
    const after = json(t.graph(req(`/v1.0/security/incidents/${inc.id}`, { query: '$expand=alerts' })));
    expect(after.severity).to.equal('high');
    expect(after.lastUpdateDateTime).to.equal('2025-06-01T12:00:03.0000000Z');
    expect(after.alerts.map((a: J) => a.id)).to.include(alert?.id);
    expect(json(t.graph(req(`/v1.0/security/alerts_v2/${alert?.id as string}`))).title).to.equal('Injected "alert"');
    expect(t.seedAlerts().some((a) => a.alertId === alert?.id)).to.equal(true);
    expect(t.control.addAlert('1', {}, later)).to.equal(undefined);
  });
});
