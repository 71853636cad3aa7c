// Identity accounts (lib/defender/accounts.ts): the entity's key, the account as read, the plan per account, the
// refusals made before anything is sent.
import { expect } from 'chai';
import { checkAccountsCloud, checkProviderSupports, identityAccountFrom, parseAccountKey, parseIdentityProvider, planAccountAction, supportedActions, SUPPORTED_PROVIDERS, type IdentityAccount } from '../../../lib/defender/accounts';
import { ActionError } from '../../../lib/runtime/errors';

const at = { api: 'Microsoft Graph', label: 'reading' };
const account = (o: Record<string, unknown>): IdentityAccount => identityAccountFrom({ id: 'ia-1', displayName: 'jdoe', domain: 'contoso.local', userPrincipalName: 'jdoe@contoso.com', isEnabled: true, ...o }, at);
const code = (fn: () => unknown): string => {
  try { fn(); } catch (err) { return err instanceof ActionError ? `${err.code}: ${err.message}` : String(err); }
  return 'no error';
};

describe('identity accounts (lib/defender/accounts.ts)', () => {
  it('reads an entity as a UPN or e-mail, DOMAIN\\user or a SID, and says why anything else is none', () => {
    expect(parseAccountKey(' jdoe@contoso.com ')).to.deep.equal({ kind: 'upn', value: 'jdoe@contoso.com' });
    expect(parseAccountKey('CONTOSO\\jdoe')).to.deep.equal({ kind: 'sam', domain: 'CONTOSO', name: 'jdoe' });
    expect(parseAccountKey('s-1-5-21-989687458-3461180213-172365591-281652')).to.deep.equal({ kind: 'sid', value: 'S-1-5-21-989687458-3461180213-172365591-281652' });
    for (const bad of ['jdoe', 'jdoe@', '@contoso.com', 'a b@contoso.com', 'CONTOSO\\', '\\jdoe', 'CON TOSO\\jdoe', 'CONTOSO\\j*doe', 'x@-bad-.com']) {
      expect(parseAccountKey(bad), bad).to.have.property('problem').that.matches(/DOMAIN\\user/);
    }
  });

  it('takes the identity provider in any case, and refuses one that does not support the action before sending', () => {
    expect(parseIdentityProvider('ActiveDirectory')).to.equal('activeDirectory');
    expect(parseIdentityProvider('ENTRAID')).to.equal('entraID');
    expect(parseIdentityProvider('  ')).to.equal(undefined);
    expect(code(() => parseIdentityProvider('google'))).to.match(/^INVALID_INPUT: Parameter 'identity_provider' is "google"; valid: entraID, activeDirectory, okta/);
    expect(code(() => checkProviderSupports('forcePasswordReset', 'okta'))).to.match(/^INVALID_INPUT: .*okta, which does not support forcePasswordReset .*activeDirectory\)/);
    expect(code(() => checkProviderSupports('markUserAsCompromised', 'entraID'))).to.equal('no error');
    // security-account.md's table
    expect(SUPPORTED_PROVIDERS.revokeAllSessions).to.deep.equal(['entraID', 'okta']);
    expect(SUPPORTED_PROVIDERS.requireUserToSignInAgain).to.deep.equal(['entraID']);
  });

  it('refuses GCC High and DoD (v1.0 is documented for the global service only) as CONFIGURATION', () => {
    const graph = { apiUrl: 'https://graph.microsoft.com' };
    expect(code(() => checkAccountsCloud({ cloud: 'GCC High' }, { apiUrl: 'https://graph.microsoft.us' }))).to.match(/^CONFIGURATION: Identity account actions are not available in GCC High: .*global service only/);
    expect(code(() => checkAccountsCloud({ cloud: 'DoD' }, graph))).to.match(/^CONFIGURATION: .*DoD/);
    expect(code(() => checkAccountsCloud({ cloud: 'Worldwide' }, { apiUrl: 'https://dod-graph.microsoft.us' }))).to.match(/^CONFIGURATION: .*dod-graph\.microsoft\.us/);
    expect(code(() => checkAccountsCloud({ cloud: 'GCC' }, graph))).to.equal('no error');
  });

  it('reads provider accounts under identityProvider or provider, any case, and checks the shape', () => {
    const a = account({ accounts: [{ provider: 'ActiveDirectory', identifier: 'ad-1', actions: [] }, { identityProvider: 'entraID', identifier: 'e-1' }, { provider: 'Ping', identifier: 'p-1' }] });
    expect(a.accounts.map((p) => [p.provider, p.identifier])).to.deep.equal([['activeDirectory', 'ad-1'], ['entraID', 'e-1'], [undefined, 'p-1']]);
    expect(supportedActions(a.accounts[0]!)).to.deep.equal(['disable', 'enable', 'forcePasswordReset']);
    expect(supportedActions(a.accounts[2]!)).to.deep.equal([]);
    expect(code(() => identityAccountFrom({ id: 5 }, at))).to.match(/^API_ERROR: Microsoft Graph answered reading with an object whose 'id' is a number/);
    expect(code(() => identityAccountFrom({ id: 'x', isEnabled: 'yes' }, at))).to.match(/^API_ERROR: .*'isEnabled' is a string/);
    expect(code(() => identityAccountFrom({ id: 'x', accounts: {} }, at))).to.match(/^API_ERROR: .*'accounts' is an object/);
    expect(code(() => identityAccountFrom({ id: 'x', accounts: [{ identifier: 'a' }] }, at))).to.match(/^API_ERROR: .*provider is nothing/);
  });

  it('plans: already as asked, the preferred supporting provider, the given one, or a refusal', () => {
    const hybrid = [{ provider: 'EntraID', identifier: 'e-1' }, { provider: 'ActiveDirectory', identifier: 'ad-1' }];
    expect(planAccountAction(account({ isEnabled: false, accounts: hybrid }), 'disable', undefined)).to.deep.include({ kind: 'done' });
    expect(planAccountAction(account({ isEnabled: true, accounts: hybrid }), 'enable', undefined).kind).to.equal('done');
    const d = planAccountAction(account({ accounts: hybrid }), 'disable', undefined);
    expect(d.kind === 'send' && [d.provider, d.account.identifier]).to.deep.equal(['activeDirectory', 'ad-1']);
    const r = planAccountAction(account({ accounts: hybrid }), 'revokeAllSessions', undefined);
    expect(r.kind === 'send' && r.provider).to.equal('entraID');
    const g = planAccountAction(account({ accounts: hybrid }), 'disable', 'entraID');
    expect(g.kind === 'send' && g.account.identifier).to.equal('e-1');
    const none = planAccountAction(account({ accounts: [{ provider: 'Okta', identifier: 'o-1' }] }), 'forcePasswordReset', undefined);
    expect(none).to.deep.equal({ kind: 'refused', message: 'jdoe@contoso.com has no provider account that supports forcePasswordReset (forcePasswordReset is supported on activeDirectory; its provider accounts: Okta); nothing was sent for it.' });
    expect(planAccountAction(account({ accounts: hybrid }), 'disable', 'okta')).to.deep.include({ kind: 'refused' });
    // unknown enabled state: the action is sent
    expect(planAccountAction(account({ isEnabled: null, accounts: hybrid }), 'disable', undefined).kind).to.equal('send');
  });
});

describe('identity accounts: what a provider account offers now', () => {
  const acc = (accounts: unknown[], isEnabled: boolean | null = null) => identityAccountFrom({ id: 'ia-2', userPrincipalName: 'eve@contoso.com', isEnabled, accounts }, { api: 'Microsoft Graph', label: 'reading' });
  it('skips a provider account that does not offer the action now, and finds a disable already done', () => {
    const a = acc([{ identityProvider: 'activeDirectory', identifier: 'ad', actions: ['enable'] }, { identityProvider: 'entraID', identifier: 'e', actions: ['disable', 'revokeAllSessions'] }]);
    const d = planAccountAction(a, 'disable', undefined);
    expect(d.kind === 'send' && d.account.identifier).to.equal('e');
    expect(planAccountAction(a, 'disable', 'activeDirectory')).to.deep.equal({ kind: 'done', message: 'eve@contoso.com already is disabled on activeDirectory (Microsoft offers only enable there now); nothing was sent.' });
    expect(planAccountAction(acc([{ identityProvider: 'activeDirectory', identifier: 'ad', actions: ['enable'] }]), 'forcePasswordReset', undefined)).to.deep.equal({ kind: 'refused', message: "eve@contoso.com's activeDirectory account offers enable now, not forcePasswordReset; nothing was sent for it." });
    const e = planAccountAction(a, 'enable', undefined);
    expect(e.kind === 'send' && e.account.identifier).to.equal('ad');
  });
});
