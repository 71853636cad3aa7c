import { expect } from 'chai';
import { startEmulator, type Emulator } from './emulator';
import { request, type HttpResult } from './test-support';
import { cloudSid } from './tenant/identities';

const IA = '/v1.0/security/identities/identityAccounts';

// REAL TENANT: Defender for Identity's identity accounts on the Graph face (tenant/identities.ts) through the server core.
describe('emulator: REAL TENANT identity accounts over HTTPS', function () {
  this.timeout(60_000);
  let em: Emulator;
  let quotaNow = 0;
  const call = (path: string, o: { method?: string; json?: unknown; token?: string } = {}): Promise<HttpResult> =>
    request(`${em.origin}${path}`, { method: o.method, json: o.json, ca: em.caPem, headers: { authorization: `Bearer ${o.token ?? em.issueToken('full', 'https://graph.microsoft.com')}` } });
  const ctl = (method: string, path: string, json?: unknown): Promise<HttpResult> => request(`${em.origin}/_emulator${path}`, { method, json, ca: em.caPem });
  const invoke = (id: string, body: unknown, token?: string): Promise<HttpResult> => call(`${IA}/${encodeURIComponent(id)}/invokeAction`, { method: 'POST', json: body, token });

  before(async () => { em = await startEmulator({ seed: 5, incidents: 40, huntingRowsPerTable: 20, quotaClock: () => quotaNow }); });
  after(() => em?.stop());

  it('REAL TENANT: one identity account per seeded user, the same users the incidents and hunting tables name', async () => {
    const users = em.tenant.seedEntities().users;
    const r = await call(`${IA}?$top=1000&$count=true`);
    expect(r.status, r.text).to.equal(200);
    expect(r.json['@odata.context']).to.equal(`${em.origin}/v1.0/$metadata#security/identities/identityAccounts`);
    expect(r.json['@odata.count']).to.equal(users.length);
    expect(em.health()).to.include({ identityAccounts: users.length });
    // keyed by the Entra object id: seeded UPNs may repeat (built from initials), object ids do not
    const byOid = new Map<string, Record<string, any>>(r.json.value.map((a: Record<string, any>) => [a.accounts.find((x: Record<string, unknown>) => x.identityProvider === 'entraID')?.identifier, a])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(byOid.size).to.equal(users.length);
    expect(new Set(r.json.value.map((a: Record<string, unknown>) => a.id)).size).to.equal(users.length);
    let ad = 0, okta = 0, disabled = 0;
    for (const u of users) {
      const a = byOid.get(u.objectId);
      expect(a, u.upn).to.not.equal(undefined);
      if (!a) continue;
      expect(a['@odata.type']).to.equal('#microsoft.graph.security.user');
      expect(a).to.have.keys('@odata.type', 'id', 'displayName', 'domain', 'onPremisesSecurityIdentifier', 'cloudSecurityIdentifier', 'isEnabled', 'accounts', 'emailAddress', 'userPrincipalName');
      expect(a).to.include({ displayName: u.displayName, userPrincipalName: u.upn, emailAddress: u.upn });
      expect(a.cloudSecurityIdentifier).to.equal(cloudSid(u.objectId));
      const hasAd = a.accounts.some((x: Record<string, unknown>) => x.identityProvider === 'activeDirectory');
      if (hasAd) { ad++; expect(a.onPremisesSecurityIdentifier).to.equal(u.sid); } else expect(a.onPremisesSecurityIdentifier).to.equal(null);
      if (a.accounts.some((x: Record<string, unknown>) => x.identityProvider === 'okta')) okta++;
      if (!a.isEnabled) {
        disabled++;
        for (const x of a.accounts) expect(x.actions).to.deep.equal(['enable']);
      }
    }
    expect(ad).to.be.within(1, users.length - 1);
    expect(okta).to.be.within(1, ad);
    expect(disabled).to.be.greaterThan(0);
    // the same seed gives the same accounts (ids stable across resets)
    const before = em.identityAccounts();
    em.reset();
    expect(em.identityAccounts()).to.deep.equal(before);
  });

  it('REAL TENANT: $filter on the documented example (onPremisesSecurityIdentifier) and on the UPN in any case; $select; get by id; 404', async () => {
    const all = em.identityAccounts();
    const u = all.find((a) => a.onPremisesSecurityIdentifier !== null && all.filter((b) => b.userPrincipalName === a.userPrincipalName).length === 1) as Record<string, string>;
    const bySid = await call(`${IA}?$filter=${encodeURIComponent(`onPremisesSecurityIdentifier eq '${u.onPremisesSecurityIdentifier}'`)}`);
    expect(bySid.status, bySid.text).to.equal(200);
    expect(bySid.json.value.map((a: Record<string, unknown>) => a.id)).to.deep.equal([u.id]);
    const byUpn = await call(`${IA}?$filter=${encodeURIComponent(`userPrincipalName eq '${u.userPrincipalName.toUpperCase()}'`)}&$select=id,accounts`);
    expect(byUpn.status, byUpn.text).to.equal(200);
    expect(byUpn.json.value).to.have.length(1);
    expect(byUpn.json.value[0]).to.have.keys('@odata.type', 'id', 'accounts');
    const bad = await call(`${IA}?$filter=${encodeURIComponent('isEnabled eq false')}`);
    expect(bad.status).to.equal(400);
    expect(bad.json.error.message).to.equal("The query specified in the URI is not valid. The property 'isEnabled' cannot be used in the $filter query option.");
    const one = await call(`${IA}/${u.id}?$select=displayName`);
    expect(one.status, one.text).to.equal(200);
    expect(one.json).to.deep.equal({ '@odata.context': `${em.origin}/v1.0/$metadata#security/identities/identityAccounts/$entity`, '@odata.type': '#microsoft.graph.security.user', displayName: u.displayName });
    const missing = await call(`${IA}/00000000-0000-4000-a000-000000000000`);
    expect(missing.status).to.equal(404);
    expect(missing.json.error.code).to.equal('NotFound');
    const page = await call(`${IA}?$top=2`);
    expect(page.json.value).to.have.length(2);
    expect(page.json['@odata.nextLink']).to.equal(`${em.origin}${IA}?$top=2&$skip=2`);
    expect((await call(`${IA}?$top=1001`)).status).to.equal(400);
  });

  it('REAL TENANT: invokeAction disable on activeDirectory: 200 invokeActionResult, the account reads disabled, a repeat changes nothing, enable restores it', async () => {
    const acc = em.identityAccounts().find((a) => a.isEnabled === true && (a.accounts as Array<Record<string, unknown>>).some((x) => x.identityProvider === 'activeDirectory')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const adAcc = acc.accounts.find((x: Record<string, unknown>) => x.identityProvider === 'activeDirectory');
    expect(adAcc.actions).to.deep.equal(['disable', 'forcePasswordReset']);
    const r = await invoke(acc.id, { accountId: adAcc.identifier, action: 'disable', identityProvider: 'activeDirectory' });
    expect(r.status, r.text).to.equal(200);
    expect(r.json).to.have.keys('@odata.context', 'accountId', 'action', 'identityProvider', 'correlationId');
    expect(r.json).to.include({ '@odata.context': `${em.origin}/v1.0/$metadata#microsoft.graph.security.invokeActionResult`, accountId: adAcc.identifier, action: 'disable', identityProvider: 'activeDirectory' });
    expect(r.json.correlationId).to.match(/^[0-9a-f-]{36}$/);
    const after = await call(`${IA}/${acc.id}`);
    expect(after.json.isEnabled).to.equal(false);
    const adAfter = after.json.accounts.find((x: Record<string, unknown>) => x.identityProvider === 'activeDirectory');
    expect(adAfter.actions).to.deep.equal(['enable']);
    expect(em.identityAccount(acc.id)?.isEnabled).to.equal(false);
    const again = await invoke(acc.id, { accountId: adAcc.identifier, action: 'Disable', identityProvider: 'ActiveDirectory' });
    expect(again.status, again.text).to.equal(200);
    expect(again.json.action).to.equal('disable');
    const log = em.accountActions(acc.id);
    expect(log.map((x) => [x.action, x.identityProvider, x.changed])).to.deep.equal([['disable', 'activeDirectory', true], ['disable', 'activeDirectory', false]]);
    expect(log[0]).to.include({ identityAccountId: acc.id, accountId: adAcc.identifier, correlationId: r.json.correlationId, clientId: em.app('full').clientId });
    // the SDKs' qualified name reaches the same action
    const en = await call(`${IA}/${acc.id}/microsoft.graph.security.invokeAction`, { method: 'POST', json: { accountId: adAcc.identifier, action: 'enable', identityProvider: 'activeDirectory' } });
    expect(en.status, en.text).to.equal(200);
    expect(em.identityAccount(acc.id)?.isEnabled).to.equal(true);
    expect((await ctl('GET', `/accountActions?identityAccountId=${acc.id}`)).json.value).to.have.length(3);
  });

  it('REAL TENANT: invokeAction refusals: provider without the action, no such account, unknown or missing parameter, bad enum; nothing recorded', async () => {
    const acc = em.identityAccounts().find((a) => (a.accounts as unknown[]).length === 1) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const entra = acc.accounts[0];
    const n = em.accountActions().length;
    const cases: Array<[unknown, RegExp]> = [
      [{ accountId: entra.identifier, action: 'forcePasswordReset', identityProvider: 'entraID' }, /^The action 'forcePasswordReset' is not supported for identity provider 'entraID'\. Supported identity providers: activeDirectory\.$/],
      [{ accountId: entra.identifier, action: 'disable', identityProvider: 'okta' }, /has no okta account with identifier/],
      [{ accountId: 'not-the-id', action: 'disable', identityProvider: 'entraID' }, /has no entraID account with identifier 'not-the-id'/],
      [{ accountId: entra.identifier, action: 'disable', identityProvider: 'entraID', comment: 'x' }, /^The parameter 'comment' in the request payload is not a valid parameter for the operation 'invokeAction'\.$/],
      [{ AccountId: entra.identifier, action: 'disable', identityProvider: 'entraID' }, /The parameter 'AccountId' in the request payload is not a valid parameter/],
      [{ accountId: entra.identifier, action: 'disable' }, /^The parameter 'identityProvider' is required/],
      [{ accountId: entra.identifier, action: 'block', identityProvider: 'entraID' }, /^Cannot convert the literal 'block' to the expected type 'microsoft\.graph\.security\.action'\.$/],
      [{ accountId: entra.identifier, action: 'unknownFutureValue', identityProvider: 'entraID' }, /microsoft\.graph\.security\.action/],
      [{ accountId: entra.identifier, action: 'disable', identityProvider: 'google' }, /microsoft\.graph\.security\.identityProvider/],
      ['not json', /^Unable to read JSON request payload/],
    ];
    for (const [body, re] of cases) {
      const r = typeof body === 'string'
        ? await request(`${em.origin}${IA}/${acc.id}/invokeAction`, { method: 'POST', body, ca: em.caPem, headers: { authorization: `Bearer ${em.issueToken('full', 'https://graph.microsoft.com')}`, 'content-type': 'application/json' } })
        : await invoke(acc.id, body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.json.error.code).to.equal('BadRequest');
      expect(r.json.error.message, JSON.stringify(body)).to.match(re);
    }
    const gone = await invoke('00000000-0000-4000-a000-000000000000', { accountId: 'x', action: 'disable', identityProvider: 'entraID' });
    expect(gone.status).to.equal(404);
    expect((await call(`${IA}/${acc.id}/invokeAction`)).status, 'GET on the action').to.equal(405);
    expect(em.accountActions()).to.have.length(n);
    expect(em.identityAccount(acc.id)).to.deep.equal(acc);
  });

  it('REAL TENANT: permissions: readonly reads but gets 403 on invokeAction; nohunting may not read; the Defender audience is refused', async () => {
    const acc = em.identityAccounts()[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const n = em.accountActions().length;
    const ro = em.issueToken('readonly', 'https://graph.microsoft.com');
    expect((await call(IA, { token: ro })).status).to.equal(200);
    const f = await invoke(acc.id, { accountId: acc.accounts[0].identifier, action: 'revokeAllSessions', identityProvider: acc.accounts[0].identityProvider }, ro);
    expect(f.status, f.text).to.equal(403);
    expect(f.json.error.code).to.equal('Forbidden');
    expect(f.json.error.message).to.match(/^Missing application roles\. API required roles: SecurityIdentitiesActions\.ReadWrite\.All, application roles: .*SecurityIdentitiesAccount\.Read\.All/);
    const nh = await call(`${IA}/${acc.id}`, { token: em.issueToken('nohunting', 'https://graph.microsoft.com') });
    expect(nh.status).to.equal(403);
    expect(nh.json.error.message).to.match(/API required roles: SecurityIdentitiesAccount\.Read\.All,/);
    expect((await call(IA, { token: em.issueToken('full', 'https://api.security.microsoft.com') })).status).to.equal(401);
    expect(em.accountActions()).to.have.length(n);
  });

  it('REAL TENANT: the control API adds an account; em.addIdentityAccount validates its input', async () => {
    const r = await ctl('POST', '/identityAccounts', { userPrincipalName: 'eve@contoso.com', providers: ['activeDirectory', { identityProvider: 'okta', identifier: 'okta-1' }], enabled: false });
    expect(r.status, r.text).to.equal(201);
    expect(r.json).to.include({ userPrincipalName: 'eve@contoso.com', isEnabled: false, domain: 'contoso.com' });
    expect(r.json.accounts.map((a: Record<string, unknown>) => a.identityProvider)).to.deep.equal(['activeDirectory', 'okta']);
    expect((await ctl('GET', `/identityAccounts/${r.json.id}`)).json).to.deep.equal(r.json);
    const ok = await invoke(r.json.id, { accountId: 'okta-1', action: 'enable', identityProvider: 'okta' });
    expect(ok.status, ok.text).to.equal(200);
    expect(em.identityAccount(r.json.id)?.isEnabled, 'still disabled in activeDirectory').to.equal(false);
    expect(() => em.addIdentityAccount({ userPrincipalName: '' })).to.throw(/userPrincipalName is required/);
    expect(() => em.addIdentityAccount({ userPrincipalName: 'x@contoso.com', id: String(r.json.id) })).to.throw(/exists already/);
    expect((await ctl('POST', '/identityAccounts', { userPrincipalName: 'y@contoso.com', providers: ['google'] })).status).to.equal(400);
    expect((await ctl('GET', '/identityAccounts/nope')).status).to.equal(404);
  });

  it('REAL TENANT: identity accounts count against the Graph security bucket (150 a minute per app, with incidents)', async () => {
    em.setQuotas(true);
    quotaNow = 0;
    const token = em.issueToken('full', 'https://graph.microsoft.com');
    for (let i = 0; i < 149; i++) {
      const r = await call(i % 2 ? `${IA}?$top=1` : '/v1.0/security/incidents?$top=1', { token });
      expect(r.status, r.text).to.equal(200);
    }
    const acc = em.identityAccounts()[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const n = em.accountActions().length;
    expect((await call(`${IA}/${acc.id}`, { token })).status).to.equal(200);
    const t = await invoke(acc.id, { accountId: acc.accounts[0].identifier, action: 'disable', identityProvider: acc.accounts[0].identityProvider }, token);
    expect(t.status, t.text).to.equal(429);
    expect(t.json.error.code).to.equal('TooManyRequests');
    expect(Number(t.headers['retry-after'])).to.be.within(1, 60);
    expect(em.requests().at(-1)?.throttled).to.equal('graph.security');
    expect(em.accountActions()).to.have.length(n);
    quotaNow += 60_000;
    expect((await call(`${IA}/${acc.id}`, { token })).status).to.equal(200);
  });
});

describe('tenant/identities: cloudSid', () => {
  it('is S-1-12-1 and the object id as .NET lays out its bytes, in four uint32', () => {
    // the first group of the GUID is the first number (0x73d664e4 = 1943430372)
    expect(cloudSid('73d664e4-0886-4a73-b745-c694da45ddb4')).to.equal('S-1-12-1-1943430372-1249052806-2496021943-3034400218');
    expect(cloudSid('00000000-0000-0000-0000-000000000000')).to.equal('S-1-12-1-0-0-0-0');
    expect(cloudSid('not a guid')).to.equal(null);
  });
});
