import { expect } from 'chai';
import { startEmulator, type Emulator } from '../emulator';
import { ENDPOINT_ROLES } from '../identity';
import { bucketFor } from '../quotas';
import { decodeJwt } from '../jwt';
import { request, type HttpResult } from '../test-support';
import { parseFilter, FilterError } from './filter';
import { MACHINE_FILTER } from './machines';
import type { Machine } from './model';

const MDE = 'https://api.securitycenter.microsoft.com';

// REAL TENANT: the Defender for Endpoint face through the server core: audience, roles, machines and their lookups.
describe('emulator: REAL TENANT Defender for Endpoint machines over HTTPS', function () {
  this.timeout(60_000);
  let em: Emulator;
  const tok = (app: 'full' | 'readonly' | 'nohunting' | 'certonly' = 'full', resource = MDE): string => em.issueToken(app, resource);
  const call = (path: string, o: { method?: string; json?: unknown; token?: string | null } = {}): Promise<HttpResult> =>
    request(`${em.origin}${path}`, {
      method: o.method, json: o.json, ca: em.caPem,
      headers: o.token === null ? {} : { authorization: `Bearer ${o.token ?? tok()}` },
    });
  const filter = (f: string, extra = ''): Promise<HttpResult> => call(`/api/machines?$filter=${encodeURIComponent(f)}${extra}`);

  before(async () => { em = await startEmulator({ seed: 7, incidents: 40, huntingRowsPerTable: 20 }); });
  after(() => em?.stop());

  it('REAL TENANT: env names the face; an endpoint token carries the app\'s endpoint roles only', () => {
    expect(em.env.M365D_ENDPOINT_API_URL).to.equal(em.origin);
    expect(em.legacyEnv.M365D_ENDPOINT_API_URL).to.equal(em.origin);
    const full = decodeJwt(tok('full'))?.payload ?? {};
    expect(full.aud).to.equal(MDE);
    expect(full.roles).to.have.members(ENDPOINT_ROLES);
    expect(decodeJwt(tok('certonly'))?.payload.roles).to.have.members(ENDPOINT_ROLES);
    expect(decodeJwt(tok('readonly'))?.payload.roles).to.deep.equal(['Machine.Read.All']);
    expect(decodeJwt(tok('nohunting'))?.payload.roles).to.deep.equal([]);
    for (const r of ['https://api-gcc.securitycenter.microsoft.us', 'https://api-gov.securitycenter.microsoft.us', 'fc780465-2017-40d4-a0c5-307022471b92']) {
      expect(decodeJwt(tok('full', r))?.payload.roles, r).to.have.members(ENDPOINT_ROLES);
    }
    // a Graph or XDR token carries no endpoint role
    expect(decodeJwt(tok('full', 'https://graph.microsoft.com'))?.payload.roles).to.not.include('Machine.Read.All');
    expect(decodeJwt(tok('full', 'https://api.security.microsoft.com'))?.payload.roles).to.not.include('Machine.Isolate');
  });

  it('REAL TENANT: MDE paths take only an endpoint audience: another API\'s valid token gets 403, a bad one 401', async () => {
    const id = em.endpoint.store.machines[0].id;
    for (const resource of [em.origin, 'https://graph.microsoft.com', 'https://api.security.microsoft.com']) {
      const r = await call(`/api/machines/${id}`, { token: tok('full', resource) });
      expect(r.status, `${resource}: ${r.text}`).to.equal(403);
      expect(r.json.error.code).to.equal('Forbidden');
      expect(r.json.error.message).to.equal('Missing application roles. API required roles: Machine.Read.All,Machine.ReadWrite.All, application roles: .');
      expect(r.json.error.target).to.be.a('string');
      const post = await call(`/api/machines/${id}/isolate`, { method: 'POST', json: { Comment: 'x' }, token: tok('full', resource) });
      expect(post.status).to.equal(403);
    }
    expect(em.machineActions()).to.have.length(0);
    const none = await call(`/api/machines/${id}`, { token: null });
    expect(none.status).to.equal(401);
    expect(none.json.error.code).to.equal('Unauthorized');
    const forged = await call(`/api/machines/${id}`, { token: `${tok().slice(0, -4)}AAAA` });
    expect(forged.status).to.equal(401);
    // and an endpoint token is not a Graph or XDR token
    expect((await call('/v1.0/security/incidents', { token: tok() })).status).to.equal(401);
    expect((await call('/api/incidents', { token: tok() })).status).to.equal(401);
    const ok = await call(`/api/machines/${id}`);
    expect(ok.status, ok.text).to.equal(200);
  });

  it('REAL TENANT: per-app permissions: readonly reads but may not act; nohunting may not read', async () => {
    const id = em.endpoint.store.machines[1].id;
    expect((await call(`/api/machines/${id}`, { token: tok('readonly') })).status).to.equal(200);
    expect((await call('/api/machineactions', { token: tok('readonly') })).status).to.equal(200);
    const iso = await call(`/api/machines/${id}/isolate`, { method: 'POST', json: { Comment: 'x' }, token: tok('readonly') });
    expect(iso.status).to.equal(403);
    expect(iso.json.error.message).to.equal('Missing application roles. API required roles: Machine.Isolate, application roles: Machine.Read.All.');
    const saq = await call(`/api/machines/${id}/StopAndQuarantineFile`, { method: 'POST', json: { Comment: 'x', Sha1: 'a'.repeat(40) }, token: tok('readonly') });
    expect(saq.json.error.message).to.equal('Missing application roles. API required roles: Machine.StopAndQuarantine,Machine.ReadWrite.All, application roles: Machine.Read.All.');
    const read = await call(`/api/machines/${id}`, { token: tok('nohunting') });
    expect(read.status).to.equal(403);
    expect(read.json.error.message).to.match(/application roles: \.$/);
    expect(em.machineActions(id)).to.have.length(0);
    // the message names roles only, never the token
    expect(iso.text).to.not.include(tok('readonly').slice(0, 20));
  });

  it('REAL TENANT: machines are the seeded devices: an incident\'s host name and IP resolve, the hunting tables name the same device', async () => {
    const devices = em.tenant.seedEntities().devices;
    expect(em.health().machines).to.equal(devices.length);
    const all = await call('/api/machines');
    expect(all.status, all.text).to.equal(200);
    expect(all.json['@odata.context']).to.equal(`${em.origin}/api/$metadata#Machines`);
    expect(all.json).to.not.have.property('@odata.nextLink');
    expect(all.json.value.map((m: { id: string }) => m.id)).to.have.members(devices.map((d) => d.deviceId));
    const m0 = all.json.value[0];
    expect(Object.keys(m0)).to.include.members(['id', 'computerDnsName', 'firstSeen', 'lastSeen', 'osPlatform', 'version', 'lastIpAddress',
      'lastExternalIpAddress', 'healthStatus', 'onboardingStatus', 'rbacGroupId', 'rbacGroupName', 'riskScore', 'exposureLevel', 'isAadJoined',
      'aadDeviceId', 'machineTags', 'ipAddresses', 'osBuild', 'deviceValue', 'osArchitecture']);
    expect(m0).to.not.have.property('isolated');
    expect(m0.lastSeen).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
    // a device from an alert's evidence
    const ev = em.tenant.seedAlerts().flatMap((a) => a.evidence).find((e) => e.entityType === 'Machine' && e.deviceName);
    expect(ev, 'an alert names a machine').to.not.equal(undefined);
    const dev = devices.find((d) => d.deviceId === ev?.deviceId);
    expect(dev).to.not.equal(undefined);
    const byName = await filter(`computerDnsName eq '${ev?.deviceName}'`);
    expect(byName.json.value.map((m: { id: string }) => m.id)).to.deep.equal([ev?.deviceId]);
    expect(byName.json.value[0]).to.include({ lastIpAddress: dev?.localIp, lastExternalIpAddress: dev?.publicIp, osPlatform: dev?.osPlatform });
    expect(byName.json.value[0].ipAddresses[0].ipAddress).to.equal(dev?.localIp);
    const ts = em.now().toISOString().replace(/\.\d+Z$/, 'Z');
    const byIp = await call(`/api/machines/findbyip(ip='${dev?.localIp}',timestamp=${ts})`);
    expect(byIp.status, byIp.text).to.equal(200);
    expect(byIp.json.value.map((m: { id: string }) => m.id)).to.include(ev?.deviceId);
    const rows = em.hunting.run(`DeviceInfo | where DeviceId == '${ev?.deviceId}' | project DeviceName, PublicIP | take 1`, { now: em.now() }).rows;
    expect(rows[0]).to.deep.equal({ DeviceName: ev?.deviceName, PublicIP: dev?.publicIp });
  });

  it('REAL TENANT: $filter on the documented fields', async () => {
    const ms = em.endpoint.store.machines;
    const upper = ms.find((m) => /[A-Z]/.test(m.computerDnsName.split('.')[0])) as Machine;
    expect(upper, 'the seed has a mixed-case name').to.not.equal(undefined);
    // names compare case-insensitively (not documented; see filter.ts)
    expect((await filter(`computerDnsName eq '${upper.computerDnsName.toLowerCase()}'`)).json.value.map((m: { id: string }) => m.id)).to.deep.equal([upper.id]);
    const prefix = upper.computerDnsName.slice(0, 4);
    const sw = (await filter(`startswith(computerDnsName,'${prefix.toLowerCase()}')`)).json.value as Array<{ computerDnsName: string }>;
    expect(sw.length).to.be.greaterThan(0);
    for (const m of sw) expect(m.computerDnsName.toLowerCase().startsWith(prefix.toLowerCase())).to.equal(true);
    expect(sw.length).to.equal(ms.filter((m) => m.computerDnsName.toLowerCase().startsWith(prefix.toLowerCase())).length);
    const count = async (f: string): Promise<number> => { const r = await filter(f); expect(r.status, `${f}: ${r.text}`).to.equal(200); return r.json.value.length; };
    expect(await count(`id eq '${ms[2].id}'`)).to.equal(1);
    expect(await count(`lastIpAddress eq '${ms[3].lastIpAddress}'`)).to.equal(ms.filter((m) => m.lastIpAddress === ms[3].lastIpAddress).length);
    expect(await count("healthStatus ne 'Active'")).to.equal(ms.filter((m) => m.healthStatus !== 'Active').length);
    expect(await count("HealthStatus eq 'Inactive'")).to.equal(ms.filter((m) => m.healthStatus === 'Inactive').length);
    expect(await count("osPlatform eq 'Windows11' and riskScore eq 'High'")).to.equal(ms.filter((m) => m.osPlatform === 'Windows11' && m.riskScore === 'High').length);
    expect(await count("exposureLevel eq 'Medium' or exposureLevel eq 'High'")).to.equal(ms.filter((m) => ['Medium', 'High'].includes(m.exposureLevel)).length);
    expect(await count("machineTags/any(tag: tag eq 'VIP')")).to.equal(ms.filter((m) => m.machineTags.includes('VIP')).length);
    expect(await count("machineTags/any(tag: tag eq 'VIP')")).to.be.greaterThan(0);
    expect(await count('rbacGroupId eq 4202')).to.equal(ms.filter((m) => m.rbacGroupId === 4202).length);
    expect(await count('aadDeviceId eq null')).to.equal(ms.filter((m) => m.aadDeviceId === null).length);
    const cut = new Date(em.now().getTime() - 10 * 3_600_000);
    expect(await count(`lastSeen gt ${cut.toISOString()}`)).to.equal(ms.filter((m) => m.lastSeen > cut).length);
    expect(await count('lastSeen gt 2018-08-01Z')).to.equal(ms.length); // the samples page's date form
    expect(await count(`not (healthStatus eq 'Active')`)).to.equal(ms.filter((m) => m.healthStatus !== 'Active').length);
    // the samples page writes spaces as '+': "$filter=riskScore+eq+'High'"
    const plus = await call("/api/machines?$filter=riskScore+eq+'High'");
    expect(plus.json.value.length).to.equal(ms.filter((m) => m.riskScore === 'High').length);
    for (const bad of ["healthStatus in ('Active')", "osBuild eq 19045", "contains(computerDnsName,'x')", "computerDnsName eq 5", 'lastSeen gt \'2020-01-01\'', "computerDnsName eq 'x", "healthStatus eq 'Active' and", '']) {
      const r = await filter(bad);
      expect(r.status, `${bad}: ${r.text}`).to.equal(400);
      expect(r.json.error.code, bad).to.equal('ODataError');
    }
  });

  it('REAL TENANT: $top (at most 10,000) and $skip page without overlap; other options are refused', async () => {
    const n = em.endpoint.store.machines.length;
    const p1 = (await call('/api/machines?$top=5')).json.value as Array<{ id: string }>;
    const p2 = (await call('/api/machines?$top=5&$skip=5')).json.value as Array<{ id: string }>;
    expect(p1).to.have.length(5);
    expect(new Set([...p1, ...p2].map((m) => m.id)).size).to.equal(Math.min(10, n));
    expect((await call(`/api/machines?$skip=${n}`)).json.value).to.deep.equal([]);
    expect((await call('/api/machines?$top=10000')).status).to.equal(200);
    const big = await call('/api/machines?$top=10001');
    expect(big.status).to.equal(400);
    expect(big.json.error.message).to.contain("The limit of '10000' for Top query has been exceeded");
    expect((await call('/api/machines?$top=-1')).status).to.equal(400);
    expect((await call('/api/machines?$orderby=lastSeen')).status).to.equal(400);
  });

  it('REAL TENANT: GET /api/machines/{id} by id or computer name; 404 ResourceNotFound otherwise', async () => {
    const m = em.endpoint.store.machines[4];
    const byId = await call(`/api/machines/${m.id}`);
    expect(byId.json).to.include({ '@odata.context': `${em.origin}/api/$metadata#Machine`, id: m.id, computerDnsName: m.computerDnsName });
    const byName = await call(`/api/machines/${encodeURIComponent(m.computerDnsName)}`);
    expect(byName.json.id).to.equal(m.id);
    const nf = await call('/api/machines/0000000000000000000000000000000000000000');
    expect(nf.status).to.equal(404);
    expect(nf.json.error).to.include({ code: 'ResourceNotFound', message: 'Machine 0000000000000000000000000000000000000000 was not found' });
  });

  it('REAL TENANT: findbyip: ±15 minutes of the timestamp, within the past 30 days, internal IPs only', async () => {
    const now = em.now().getTime();
    const added = em.addMachine({ computerDnsName: 'old-host.contoso.com', lastIpAddress: '10.77.0.9', healthStatus: 'Inactive', lastSeen: new Date(now - 2 * 86_400_000).toISOString() });
    expect(added).to.include({ computerDnsName: 'old-host.contoso.com', lastIpAddress: '10.77.0.9', isolation: 'None', restricted: false, behaviour: 'succeeds' });
    const at = (ms: number): string => new Date(ms).toISOString();
    const find = (ip: string, ts: string): Promise<HttpResult> => call(`/api/machines/findbyip(ip='${ip}',timestamp=${ts})`);
    expect((await find('10.77.0.9', at(now))).json.value).to.deep.equal([]); // inactive, last seen two days ago
    expect((await find('10.77.0.9', at(now - 2 * 86_400_000 + 10 * 60_000))).json.value.map((m: { id: string }) => m.id)).to.deep.equal([added.id]);
    expect((await find('10.77.0.9', at(now - 2 * 86_400_000 + 20 * 60_000))).json.value).to.deep.equal([]);
    const ext = em.endpoint.store.machines[0].lastExternalIpAddress as string;
    expect((await find(ext, at(now))).json.value.map((m: { id: string }) => m.id)).to.not.include(em.endpoint.store.machines[0].id);
    const old = await find('10.77.0.9', at(now - 31 * 86_400_000));
    expect(old.status).to.equal(400);
    expect(old.json.error.message).to.contain('past 30 days');
    expect((await find('10.77.0.999', at(now))).json.error.code).to.equal('InvalidIpAddress');
    expect((await find('10.77.0.9', 'yesterday')).status).to.equal(400);
    expect((await call("/api/machines/findbyip(ip='10.77.0.9')")).status).to.equal(400);
  });

  it('REAL TENANT: the optional version segment /api/v1.0/ reaches the same face (and the same quota bucket); seeded Inactive machines were last seen over 7 days ago', async () => {
    const m = em.endpoint.store.machines[5];
    const r = await call(`/api/v1.0/machines/${m.id}`);
    expect(r.status, r.text).to.equal(200);
    expect(r.json.id).to.equal(m.id);
    expect((await call(`/api/v1.0/machines?$filter=${encodeURIComponent(`id eq '${m.id}'`)}`)).json.value).to.have.length(1);
    expect((await call(`/api/v1.0/machines/${m.id}`, { token: tok('full', 'https://api.security.microsoft.com') })).status).to.equal(403);
    expect(bucketFor('GET', `/api/v1.0/machines/${m.id}`)?.name).to.equal('endpoint.machines.get');
    const seeded = new Set(em.tenant.seedEntities().devices.map((d) => d.deviceId));
    const inactive = em.endpoint.store.machines.filter((x) => x.healthStatus === 'Inactive' && seeded.has(x.id));
    expect(inactive.length).to.be.greaterThan(0);
    for (const x of inactive) expect(em.now().getTime() - x.lastSeen.getTime()).to.be.greaterThan(7 * 86_400_000);
    const before = em.requests().length;
    em.machineActions(); em.machine(m.id);
    expect(em.requests().length).to.equal(before); // the test API leaves no log entry
  });

  it('em.addMachine validates its input and the machine appears in the API; control endpoints over HTTP', async () => {
    expect(() => em.addMachine({} as never)).to.throw(/computerDnsName/);
    expect(() => em.addMachine({ computerDnsName: 'x', healthStatus: 'Great' })).to.throw(/healthStatus must be one of/);
    expect(() => em.addMachine({ computerDnsName: 'x', behaviour: 'sometimes' as never })).to.throw(/behaviour/);
    const a = em.addMachine({ computerDnsName: 'twin.contoso.com', id: 'a'.repeat(40), machineTags: ['Twin'], riskScore: 'High' });
    expect(() => em.addMachine({ computerDnsName: 'y', id: 'a'.repeat(40) })).to.throw(/already exists/);
    const ctl = await request(`${em.origin}/_emulator/machines`, { method: 'POST', json: { computerDnsName: 'twin.contoso.com', behaviour: 'fails' }, ca: em.caPem });
    expect(ctl.status, ctl.text).to.equal(201);
    expect(ctl.json).to.include({ computerDnsName: 'twin.contoso.com', behaviour: 'fails' });
    expect((await request(`${em.origin}/_emulator/machines/${a.id}`, { ca: em.caPem })).json).to.include({ id: a.id, riskScore: 'High' });
    expect((await request(`${em.origin}/_emulator/machines/nope`, { ca: em.caPem })).status).to.equal(404);
    const twins = await filter("computerDnsName eq 'twin.contoso.com'");
    expect(twins.json.value.map((m: { id: string }) => m.id)).to.have.members([a.id, ctl.json.id]);
    expect(em.machine(a.id)?.machineTags).to.deep.equal(['Twin']);
    expect(em.machine('nope')).to.equal(undefined);
  });

  it('the filter parser alone: precedence and errors', () => {
    const ms = [{ computerDnsName: 'a.x', healthStatus: 'Active', riskScore: 'Low' }, { computerDnsName: 'b.x', healthStatus: 'Inactive', riskScore: 'High' }] as Machine[];
    const p = parseFilter("healthStatus eq 'Active' or healthStatus eq 'Inactive' and riskScore eq 'Low'", MACHINE_FILTER);
    expect(ms.filter(p).map((m) => m.computerDnsName)).to.deep.equal(['a.x']); // and binds tighter than or
    expect(() => parseFilter("machineTags eq 'x'", MACHINE_FILTER)).to.throw(FilterError);
    expect(() => parseFilter("machineTags/any(t: u eq 'x')", MACHINE_FILTER)).to.throw(FilterError);
    expect(() => parseFilter("healthStatus gt", MACHINE_FILTER)).to.throw(/Syntax error/);
  });
});
