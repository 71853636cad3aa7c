import { expect } from 'chai';
import { type FaceRequest } from '../tenant/api';
import { NOW, ORIGIN, type J, json, req as baseReq, type ReqInit } from '../tenant/testkit';
import { IndicatorStore, MAX_ACTIVE_INDICATORS, addIndicator, indicatorsFace, isInternalIp, seedIndicators, validUrl } from './indicators';

const API = '/api/indicators';
const ALL = ['Ti.ReadWrite.All'];
const APP = '11111111-2222-3333-4444-555555555555'; // testkit's caller
const SHA256 = 'a'.repeat(63) + 'b';

function store(seeded = true): IndicatorStore {
  const s = new IndicatorStore(42);
  if (seeded) {
    seedIndicators(s, { files: [{ sha1: '1'.repeat(40), sha256: '2'.repeat(64), md5: '3'.repeat(32) }], urls: ['https://login-micros0ft.com/path/abc?id=1'], ips: ['10.0.0.1', '198.18.7.7'] }, NOW);
  }
  return s;
}
const req = (path: string, init: ReqInit = {}): FaceRequest => baseReq(path, { roles: ALL, ...init });
const call = (s: IndicatorStore, path: string, init: ReqInit = {}): { status: number; body: J } => {
  const r = indicatorsFace(s, req(path, init));
  if (!r) throw new Error('no route');
  return { status: r.status, body: (r.body ?? {}) as J };
};
const post = (s: IndicatorStore, body: unknown, init: ReqInit = {}): { status: number; body: J } => call(s, API, { method: 'POST', body, ...init });
const base = { indicatorValue: SHA256, indicatorType: 'FileSha256', action: 'Block', title: 'Bad file', description: 'From incident 12' };

describe('endpoint/indicators: the MDE custom indicators store', () => {
  it('seeds five portal indicators; GET lists them with @odata.context and every documented property', () => {
    const s = store();
    const r = call(s, API);
    expect(r.status).to.equal(200);
    expect(r.body['@odata.context']).to.equal(`${ORIGIN}/api/$metadata#Indicators`);
    expect(r.body.value.map((i: J) => [i.indicatorType, i.action])).to.deep.equal([
      ['FileSha256', 'BlockAndRemediate'], ['FileSha1', 'Audit'], ['IpAddress', 'Block'], ['Url', 'Warn'], ['DomainName', 'Allowed']]);
    const ip = r.body.value[2];
    expect(ip.indicatorValue, 'the first external seeded IP, not 10.0.0.1').to.equal('198.18.7.7');
    expect(ip).to.have.keys('id', 'indicatorValue', 'indicatorType', 'action', 'application', 'source', 'sourceType', 'createdBy', 'createdByDisplayName',
      'createdBySource', 'severity', 'category', 'title', 'description', 'recommendedActions', 'creationTimeDateTimeUtc', 'expirationTime', 'lastUpdateTime',
      'lastUpdatedBy', 'rbacGroupNames', 'rbacGroupIds', 'generateAlert', 'educateUrl', 'externalID');
    expect(ip).to.include({ sourceType: 'User', createdBy: 'secop@contoso.com', severity: 'Medium', expirationTime: null, lastUpdatedBy: null });
    expect(ip.id).to.match(/^\d+$/);
    expect(ip.creationTimeDateTimeUtc).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(r.body.value[4].rbacGroupNames).to.deep.equal(['Finance', 'HR']);
    expect(r.body.value[4].rbacGroupIds).to.have.length(2);
    expect(r.body).to.not.have.property('@odata.nextLink');
    // seeding is deterministic
    expect(call(store(), API).body.value).to.deep.equal(r.body.value);
  });

  it('POST submits (200, the app as author), a resubmission of the same value, type and action updates it, another action makes a second one', () => {
    const s = store(false);
    const r = post(s, { ...base, application: 'demo', rbacGroupNames: 'Finance, HR', severity: 'High' });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body['@odata.context']).to.equal(`${ORIGIN}/api/$metadata#Indicators/$entity`);
    expect(r.body).to.include({ indicatorValue: SHA256, indicatorType: 'FileSha256', action: 'Block', application: 'demo', createdBy: APP, sourceType: 'AadApp',
      source: 'Emulator test app', severity: 'High', generateAlert: false, lastUpdatedBy: null, creationTimeDateTimeUtc: '2025-06-01T12:00:00.0000000Z' });
    expect(r.body.rbacGroupNames).to.deep.equal(['Finance', 'HR']);
    const later = new Date(NOW.getTime() + 60_000);
    const u = post(s, { ...base, indicatorValue: SHA256.toUpperCase(), title: 'Bad file (updated)', application: 'other' }, { now: later });
    expect(u.status).to.equal(200);
    expect(u.body.id).to.equal(r.body.id);
    expect(u.body).to.include({ title: 'Bad file (updated)', application: 'demo', severity: 'High', creationTimeDateTimeUtc: r.body.creationTimeDateTimeUtc,
      lastUpdateTime: '2025-06-01T12:01:00.0000000Z', lastUpdatedBy: 'Emulator test app', indicatorValue: SHA256 });
    const second = post(s, { ...base, action: 'Allowed' });
    expect(second.status).to.equal(200);
    expect(second.body.id).to.not.equal(r.body.id);
    expect(call(s, API).body.value).to.have.length(2);
    // the legacy AlertAndBlock is stored as BlockAndRemediate with an alert (MicrosoftDocs/defender-docs#504)
    const legacy = post(s, { ...base, indicatorValue: 'c'.repeat(64), action: 'AlertAndBlock' });
    expect(legacy.status).to.equal(200);
    expect(legacy.body).to.include({ action: 'BlockAndRemediate', generateAlert: true });
    // Audit with generateAlert given as the docs' "TRUE"
    expect(post(s, { ...base, indicatorValue: 'd'.repeat(64), action: 'Audit', generateAlert: 'TRUE' }).body.generateAlert).to.equal(true);
  });

  it('refuses what Microsoft refuses, with its codes and messages, and stores nothing', () => {
    const s = store();
    const before = call(s, API).body.value;
    const cases: Array<[unknown, number, string, RegExp]> = [
      [{ ...base, title: undefined }, 400, 'MissingRequiredParameter', /^Parameter title is missing\.$/],
      [{ ...base, description: '' }, 400, 'MissingRequiredParameter', /^Parameter description is missing\.$/],
      [{ ...base, indicatorValue: undefined, IndicatorValue: SHA256 }, 400, 'MissingRequiredParameter', /^Parameter indicatorValue is missing\.$/],
      [{ ...base, Severity: 'High' }, 400, 'InvalidRequestBody', /case-sensitive \('severity'\)/],
      [{ ...base, indicatorType: 'Sha256' }, 400, 'InvalidRequestBody', /'Sha256' is not a valid indicatorType/],
      [{ ...base, action: 'Alert' }, 400, 'InvalidRequestBody', /'Alert' is not a valid action\. Possible values: Allowed, Audit, Block, BlockAndRemediate, Warn\./],
      [{ ...base, action: 'block' }, 400, 'InvalidRequestBody', /'block' is not a valid action/],
      [{ ...base, action: 'Audit' }, 400, 'InvalidRequestBody', /GenerateAlert parameter must be set to TRUE/],
      [{ ...base, action: 'Audit', generateAlert: false }, 400, 'InvalidRequestBody', /GenerateAlert/],
      [{ ...base, severity: 'Critical' }, 400, 'InvalidRequestBody', /'Critical' is not a valid severity/],
      [{ ...base, indicatorValue: SHA256.slice(1) }, 400, 'InvalidHashValue', /^Hash value a{62}b is invalid\.$/],
      [{ ...base, indicatorValue: ` ${SHA256}` }, 400, 'InvalidHashValue', /is invalid/],
      [{ ...base, indicatorValue: 42 }, 400, 'InvalidRequestBody', /'indicatorValue' must be a string/],
      [{ ...base, indicatorType: 'FileSha1', indicatorValue: 'g'.repeat(40) }, 400, 'InvalidHashValue', /is invalid/],
      [{ ...base, indicatorType: 'FileMd5', indicatorValue: 'a'.repeat(40) }, 400, 'InvalidHashValue', /is invalid/],
      [{ ...base, indicatorType: 'CertificateThumbprint', indicatorValue: 'a'.repeat(64) }, 400, 'InvalidHashValue', /is invalid/],
      [{ ...base, indicatorType: 'IpAddress', indicatorValue: '203.0.113.0/24' }, 400, 'InvalidIpAddress', /^IP address 203\.0\.113\.0\/24 is invalid\. CIDR/],
      [{ ...base, indicatorType: 'IpAddress', indicatorValue: '10.1.2.3' }, 400, 'InvalidIpAddress', /Only external IP addresses/],
      [{ ...base, indicatorType: 'IpAddress', indicatorValue: '192.168.0.1' }, 400, 'InvalidIpAddress', /Only external/],
      [{ ...base, indicatorType: 'IpAddress', indicatorValue: 'fe80::1ff:fe23:4567:890a' }, 400, 'InvalidIpAddress', /Only external/],
      [{ ...base, indicatorType: 'IpAddress', indicatorValue: '999.1.1.1' }, 400, 'InvalidIpAddress', /^IP address 999\.1\.1\.1 is invalid\.$/],
      [{ ...base, indicatorType: 'IpAddress', indicatorValue: '203.0.113.9', action: 'BlockAndRemediate' }, 400, 'BadRequest', /BlockAndRemediate is not supported for network indicators/],
      [{ ...base, indicatorType: 'DomainName', indicatorValue: 'https://fabrikam.biz' }, 400, 'InvalidDomainName', /^Domain name https:\/\/fabrikam\.biz is invalid\.$/],
      [{ ...base, indicatorType: 'DomainName', indicatorValue: 'no_such domain' }, 400, 'InvalidDomainName', /is invalid/],
      [{ ...base, indicatorType: 'Url', indicatorValue: 'ftp://fabrikam.biz/x' }, 400, 'InvalidUrl', /^URL ftp:\/\/fabrikam\.biz\/x is invalid\.$/],
      [{ ...base, indicatorType: 'Url', indicatorValue: 'http://exa mple.com' }, 400, 'InvalidUrl', /is invalid/],
      [{ ...base, expirationTime: '2025-05-01T00:00:00Z' }, 400, 'InvalidInput', /not in the future/],
      [{ ...base, expirationTime: 'tomorrow' }, 400, 'InvalidRequestBody', /not a valid expirationTime/],
      [{ ...base, rbacGroupNames: [1, 2] }, 400, 'InvalidRequestBody', /rbacGroupNames/],
      [{ ...base, generateAlert: 'yes' }, 400, 'InvalidRequestBody', /generateAlert/],
      ['{"indicatorValue":', 400, 'InvalidRequestBody', /^Request body is incorrect$/],
      [[base], 400, 'InvalidRequestBody', /^Request body is incorrect$/],
    ];
    for (const [body, status, code, re] of cases) {
      const r = post(s, body);
      expect(r.status, JSON.stringify(body)).to.equal(status);
      expect(r.body.error.code, JSON.stringify(body)).to.equal(code);
      expect(r.body.error.message, JSON.stringify(body)).to.match(re);
      expect(r.body.error.target).to.match(/^[0-9a-f-]{36}$/);
    }
    expect(call(s, API).body.value).to.deep.equal(before);
    // what is accepted: an IPv6 outside the internal ranges, a URL without a scheme, an unknown extra name (ignored)
    for (const ok of [{ indicatorType: 'IpAddress', indicatorValue: '2001:db8::7' }, { indicatorType: 'Url', indicatorValue: 'fabrikam.biz/invoice' }, { mitreTechniques: ['T1566'], whatever: 1 }]) {
      const r = post(s, { ...base, ...ok });
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
    }
  });

  it('$filter on the documented properties, names in any case; $top/$skip; refusals are ODataError', () => {
    const s = store();
    post(s, base);
    const q = (f: string, extra = ''): { status: number; body: J } => call(s, API, { query: `$filter=${encodeURIComponent(f)}${extra}` });
    const ids = (r: { body: J }): string[] => r.body.value.map((i: J) => i.indicatorType);
    expect(ids(q("indicatorType eq 'FileSha256'"))).to.deep.equal(['FileSha256', 'FileSha256']);
    expect(ids(q(`indicatorValue eq '${SHA256}'`))).to.deep.equal(['FileSha256']);
    expect(ids(q(`createdBy eq '${APP}'`))).to.deep.equal(['FileSha256']);
    expect(ids(q("IndicatorType eq 'Url' or action eq 'Allowed'"))).to.deep.equal(['Url', 'DomainName']);
    expect(ids(q("action eq 'AlertAndBlock'")), 'a valid member that no indicator has now').to.deep.equal([]);
    expect(ids(q('creationTimeDateTimeUtc ge 2025-05-25T00:00:00Z'))).to.deep.equal(['Url', 'DomainName', 'FileSha256']);
    expect(ids(q("severity eq 'High' and createdByDisplayName eq 'secop@contoso.com'"))).to.deep.equal(['FileSha256']);
    expect(ids(q("title eq 'C2 server'"))).to.deep.equal(['IpAddress']);
    const page = call(s, API, { query: '$top=2&$skip=1' });
    expect(ids(page)).to.deep.equal(['FileSha1', 'IpAddress']);
    expect(page.body).to.not.have.property('@odata.nextLink');
    const bad: Array<[string, RegExp]> = [
      ["$filter=action eq 'block'", /not a valid enumeration type constant/],
      ['$filter=generateAlert eq true', /The property 'generateAlert' cannot be used in the \$filter query option\./],
      ["$filter=colour eq 'x'", /Could not find a property named 'colour'/],
      ['$top=10001', /The limit of '10000' for Top query has been exceeded/],
      ['$orderby=title', /Query option 'orderby' is not allowed/],
    ];
    for (const [query, re] of bad) {
      const r = call(s, API, { query: query.replace(/ /g, '%20') });
      expect(r.status, query).to.equal(400);
      expect(r.body.error.code).to.equal('ODataError');
      expect(r.body.error.message, query).to.match(re);
    }
    expect(call(s, API, { query: '$top=10000' }).status).to.equal(200);
  });

  it('DELETE answers 204 without a body, then 404 ResourceNotFound', () => {
    const s = store();
    const id = String(call(s, API).body.value[0].id);
    const d = indicatorsFace(s, req(`${API}/${id}`, { method: 'DELETE' }));
    expect(d?.status).to.equal(204);
    expect(d?.body).to.equal(undefined);
    const again = call(s, `${API}/${id}`, { method: 'DELETE' });
    expect(again.status).to.equal(404);
    expect(again.body.error).to.include({ code: 'ResourceNotFound', message: `Indicator ${id} was not found.` });
    expect(call(s, API).body.value.map((i: J) => i.id)).to.not.include(id);
    expect(call(s, `${API}/nope`, { method: 'DELETE' }).status).to.equal(404);
  });

  it('permissions: no Ti role is a 403; Ti.ReadWrite sees, updates and deletes only what its app created', () => {
    const s = store();
    for (const init of [{}, { method: 'POST', body: base }, { method: 'DELETE' }] as ReqInit[]) {
      const r = indicatorsFace(s, baseReq(init.method === 'DELETE' ? `${API}/1000` : API, { ...init, roles: ['Machine.Read.All'] }));
      expect(r?.status).to.equal(403);
      expect(json(r).error.code).to.equal('Forbidden');
      expect(json(r).error.message).to.match(/^Missing application roles\. API required roles: Ti\.ReadWrite,Ti\.ReadWrite\.All, application roles: Machine\.Read\.All\.$/);
    }
    const own = { roles: ['Ti.ReadWrite'] };
    expect(call(s, API, own).body.value).to.deep.equal([]);
    const seeded = call(s, API).body.value[0];
    expect(call(s, `${API}/${seeded.id}`, { method: 'DELETE', ...own }).status).to.equal(404);
    // its own submission of a value the portal user holds too is its own indicator
    const mine = post(s, { indicatorValue: seeded.indicatorValue, indicatorType: seeded.indicatorType, action: seeded.action, title: 't', description: 'd', generateAlert: true }, own);
    expect(mine.status).to.equal(200);
    expect(mine.body.id).to.not.equal(seeded.id);
    expect(call(s, API, own).body.value.map((i: J) => i.id)).to.deep.equal([mine.body.id]);
    expect(call(s, `${API}/${mine.body.id}`, { method: 'DELETE', ...own }).status).to.equal(204);
  });

  it('an indicator whose expirationTime passes is no longer active: not listed, not counted', () => {
    const s = store(false);
    const r = post(s, { ...base, expirationTime: '2025-06-01T13:00:00Z' });
    expect(r.body.expirationTime).to.equal('2025-06-01T13:00:00.0000000Z');
    expect(call(s, API).body.value).to.have.length(1);
    expect(call(s, API, { now: new Date('2025-06-01T13:00:00Z') }).body.value).to.deep.equal([]);
    expect(call(s, `${API}/${r.body.id}`, { method: 'DELETE', now: new Date('2025-06-01T14:00:00Z') }).status).to.equal(404);
  });

  it(`${MAX_ACTIVE_INDICATORS.toLocaleString('en-US')} active indicators: a new one is refused, an update is not, a delete makes room`, () => {
    const s = store();
    const n0 = call(s, API).body.value.length;
    for (let k = n0; k < MAX_ACTIVE_INDICATORS; k++) addIndicator(s, { indicatorValue: k.toString(16).padStart(64, '0'), indicatorType: 'FileSha256', action: 'Block' }, NOW);
    expect(call(s, API, { query: '$top=1&$skip=14999' }).body.value).to.have.length(1);
    const full = post(s, base);
    expect(full.status).to.equal(400);
    expect(full.body.error.code).to.equal('BadRequest');
    expect(full.body.error.message).to.match(/maximum of 15000 active indicators/);
    const upd = post(s, { ...base, indicatorValue: (n0 + 1).toString(16).padStart(64, '0'), title: 'updated' });
    expect(upd.status).to.equal(200);
    expect(upd.body.title).to.equal('updated');
    expect(call(s, `${API}/${upd.body.id}`, { method: 'DELETE' }).status).to.equal(204);
    expect(post(s, base).status).to.equal(200);
  });

  it('addIndicator (the test API) validates as the POST does and takes the author and creation time', () => {
    const s = store(false);
    const a = addIndicator(s, { indicatorValue: '203.0.113.77', indicatorType: 'IpAddress', action: 'Block', createdBy: 'analyst@contoso.com', creationTimeDateTimeUtc: '2025-05-01T00:00:00Z' }, NOW);
    expect(a).to.include({ createdBy: 'analyst@contoso.com', sourceType: 'User', creationTimeDateTimeUtc: '2025-05-01T00:00:00.0000000Z' });
    expect(() => addIndicator(s, { indicatorValue: '10.0.0.1', indicatorType: 'IpAddress', action: 'Block' }, NOW)).to.throw(/InvalidIpAddress/);
  });

  it('helpers: internal addresses and URLs', () => {
    for (const ip of ['10.0.0.1', '127.0.0.1', '169.254.1.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', 'fc00::1', 'fd12::1', 'fe80::1', 'ff02::1', '::ffff:10.0.0.1']) {
      expect(isInternalIp(ip), ip).to.equal(true);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '203.0.113.5', '2001:db8::7', '2606:4700::1111']) expect(isInternalIp(ip), ip).to.equal(false);
    for (const u of ['https://fabrikam.biz/a?b=c', 'http://203.0.113.5/x', 'fabrikam.biz', 'HTTPS://CONTOSO-MAIL.COM/Login?next=%2Fhome']) expect(validUrl(u), u).to.equal(true);
    for (const u of ['', 'ftp://fabrikam.biz', 'https://', 'http://exa mple.com', 'javascript:alert(1)', 'http://bad_host/']) expect(validUrl(u), u).to.equal(false);
  });
});
