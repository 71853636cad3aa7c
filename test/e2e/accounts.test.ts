// The account actions end to end (issue 16): the built processes of Disable/Enable Account, Force Password Reset,
// Revoke All Sessions, Require Sign In Again, Mark User As Compromised and Get Account against the emulator's identity accounts face (Graph v1.0). What reached the
// service is read from the emulator's request log and em.accountActions(); what the accounts are now from
// em.identityAccount().
import { expect } from 'chai';
import type { Emulator, RequestLogEntry } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { checkedRunner, entryOf, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';

const ids = ['disable-account', 'enable-account', 'force-password-reset', 'revoke-all-sessions', 'require-sign-in-again', 'mark-user-as-compromised', 'get-account'] as const;
const ENTRY = Object.fromEntries(ids.map((id) => [id, entryOf(id, repoRoot)])) as Record<(typeof ids)[number], string>;
type Json = Record<string, any>;

const user = (Identifier: string, EntityType = 'USERUNIQNAME') => ({ Identifier, EntityType });

const run = checkedRunner({ case_id: 'accounts-case', alert_group_identifiers: [] }, 60_000);
const graph = (em: Emulator, since: number): RequestLogEntry[] => em.requests(since).filter((q) => q.path.startsWith('/v1.0/'));
const posts = (em: Emulator, since: number) => graph(em, since).filter((q) => q.method === 'POST');
const outcomes = (r: RunResult) => (r.result['entities'] as Json[]).map((e) => [e['Identifier'], e['status']]);
const messageOf = (r: RunResult, id: string): string => (r.result['entities'] as Json[]).find((e) => e['Identifier'] === id)!['message'];

describe('The account actions against the emulator (Graph identity accounts)', function () {
  this.timeout(180_000);
  const emulator = useEmulator({ seed: 16, incidents: 5, quotas: false }, 'accounts');
  let em: Emulator;
  let env: () => Record<string, string>;
  const app = (name: 'readonly' | 'nohunting') => ({ ...em.env, M365D_CLIENT_ID: em.app(name).clientId, M365D_CLIENT_SECRET: em.app(name).clientSecret, M365D_STATE_DIR: emulator.freshState() });
  let n = 0;
  /** a new identity account with a unique UPN: its id and UPN */
  const account = (providers: Array<'entraID' | 'activeDirectory' | 'okta'>, enabled = true, local = `u${++n}x`) => {
    const upn = `${local}@contoso.com`;
    const a = em.addIdentityAccount({ userPrincipalName: upn, providers, enabled });
    return { id: String(a['id']), upn };
  };
  const state = (id: string): Json => em.identityAccount(id) as Json;
  before(() => {
    em = emulator.em;
    const dir = emulator.freshState();
    env = () => ({ ...em.env, M365D_STATE_DIR: dir });
  });

  it('Disable Account: several users, one malformed and one unknown; each reported, the good ones disabled once', async () => {
    const hybrid = account(['entraID', 'activeDirectory']);
    const onPrem = account(['activeDirectory'], true, `erin${n}`);
    const disabled = account(['entraID'], false);
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['disable-account'], env(), {
      target_entities: [user(hybrid.upn), user(`CONTOSO\\${onPrem.upn.split('@')[0]}`), user(disabled.upn), user('not a user'), user('nobody@contoso.com'), user('host-1', 'HOSTNAME')],
    });
    expect(r.code, r.stdout).to.equal(0);
    expect(r.result['result_value']).to.equal(true);
    expect(outcomes(r)).to.deep.equal([
      [hybrid.upn, 'success'], [`CONTOSO\\${onPrem.upn.split('@')[0]}`, 'success'], [disabled.upn, 'success'], ['not a user', 'failed'], ['nobody@contoso.com', 'not_found'], ['host-1', 'skipped'],
    ]);
    expect(messageOf(r, disabled.upn)).to.equal(`${disabled.upn} already is disabled (isEnabled false); nothing was sent.`);
    expect(messageOf(r, 'not a user')).to.match(/is neither a user principal name nor DOMAIN\\user nor a security identifier; .*nothing was sent for it/);
    expect(messageOf(r, hybrid.upn)).to.match(/disabled \(activeDirectory account /);
    // the hybrid account is disabled on Active Directory (preferred), the on-premises one too; nothing else was invoked
    expect(em.accountActions().filter((a) => a.seq > 0 && [hybrid.id, onPrem.id, disabled.id].includes(a.identityAccountId)).map((a) => [a.identityAccountId, a.identityProvider, a.action]))
      .to.deep.equal([[hybrid.id, 'activeDirectory', 'disable'], [onPrem.id, 'activeDirectory', 'disable']]);
    expect(state(hybrid.id)['isEnabled']).to.equal(false);
    expect(state(onPrem.id)['isEnabled']).to.equal(false);
    expect(posts(em, seq)).to.have.length(2);
    // the malformed one was never looked up
    expect(graph(em, seq).some((q) => decodeURIComponent(q.query).includes('not a user'))).to.equal(false);
    const rows = r.result['json_result']['accounts'] as Json[];
    expect(rows.find((x) => x['identifier'] === hybrid.upn)).to.deep.include({ identity_account_id: hybrid.id, identity_provider: 'activeDirectory' });
    expect(rows.find((x) => x['identifier'] === hybrid.upn)!['result']).to.include({ action: 'disable', identityProvider: 'activeDirectory' });

    // run again: every account already is as asked, nothing is sent
    const again = emulator.lastSeq();
    const r2 = await run(ENTRY['disable-account'], env(), { target_entities: [user(hybrid.upn), user(disabled.upn)] });
    expect(outcomes(r2)).to.deep.equal([[hybrid.upn, 'success'], [disabled.upn, 'success']]);
    expect(posts(em, again)).to.deep.equal([]);
  });

  it('Enable Account enables a disabled account and leaves an enabled one alone', async () => {
    const off = account(['entraID', 'okta'], false);
    const on = account(['entraID']);
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['enable-account'], env(), { target_entities: [user(off.upn), user(on.upn)] });
    expect(outcomes(r)).to.deep.equal([[off.upn, 'success'], [on.upn, 'success']]);
    expect(messageOf(r, on.upn)).to.match(/already is enabled .*nothing was sent/);
    expect(posts(em, seq)).to.have.length(1);
    expect(state(off.id)['isEnabled']).to.equal(false); // entraID first: okta is still disabled
    expect(em.accountActions(off.id).map((a) => [a.identityProvider, a.action])).to.deep.equal([['entraID', 'enable']]);
  });

  it('chooses the provider from the account, reports one that does not support the action, and honours identity_provider', async () => {
    const okta = account(['okta']);
    const both = account(['entraID', 'okta']);
    let seq = emulator.lastSeq();
    const r = await run(ENTRY['force-password-reset'], env(), { target_entities: [user(okta.upn)] });
    expect(r.code).to.equal(0);
    expect(r.result['result_value']).to.equal(false);
    expect(messageOf(r, okta.upn)).to.equal(`${okta.upn} has no provider account that supports forcePasswordReset (forcePasswordReset is supported on activeDirectory; its provider accounts: okta); nothing was sent for it.`);
    expect(posts(em, seq)).to.deep.equal([]);

    seq = emulator.lastSeq();
    const revoke = await run(ENTRY['revoke-all-sessions'], env(), { target_entities: [user(okta.upn), user(both.upn)], identity_provider: 'OKTA' });
    expect(outcomes(revoke)).to.deep.equal([[okta.upn, 'success'], [both.upn, 'success']]);
    expect([...em.accountActions(okta.id), ...em.accountActions(both.id)].map((a) => [a.identityProvider, a.action])).to.deep.equal([['okta', 'revokeAllSessions'], ['okta', 'revokeAllSessions']]);
    expect(posts(em, seq)).to.have.length(2);
  });

  it('Require Sign In Again and Mark User As Compromised go to the entraID account; an on-premises-only one is reported', async () => {
    const cloud = account(['activeDirectory', 'entraID']);
    const onPrem = account(['activeDirectory']);
    for (const [id, action] of [['require-sign-in-again', 'requireUserToSignInAgain'], ['mark-user-as-compromised', 'markUserAsCompromised']] as const) {
      const seq = emulator.lastSeq();
      const r = await run(ENTRY[id], env(), { target_entities: [user(cloud.upn), user(onPrem.upn)] });
      expect(outcomes(r), id).to.deep.equal([[cloud.upn, 'success'], [onPrem.upn, 'failed']]);
      expect(messageOf(r, onPrem.upn)).to.match(new RegExp(`no provider account that supports ${action} \\(${action} is supported on entraID; its provider accounts: activeDirectory\\)`));
      expect(r.result['json_result']['action']).to.equal(action);
      expect(posts(em, seq)).to.have.length(1);
    }
    expect(em.accountActions(cloud.id).map((a) => [a.identityProvider, a.action])).to.deep.equal([['entraID', 'requireUserToSignInAgain'], ['entraID', 'markUserAsCompromised']]);
    expect(em.accountActions(onPrem.id)).to.deep.equal([]);
  });

  it('refuses before anything is sent (exit 2): a bad provider, one that cannot do the action, no good entity, no entity, GCC High', async () => {
    const a = account(['entraID']);
    const cases: Array<[string, Record<string, string | undefined>, Record<string, unknown>, RegExp]> = [
      ['disable-account', {}, { target_entities: [user(a.upn)], identity_provider: 'google' }, /Parameter 'identity_provider' must be one of: entraID, activeDirectory, okta; got "google"/],
      ['force-password-reset', {}, { target_entities: [user(a.upn)], identity_provider: 'okta' }, /okta, which does not support forcePasswordReset/],
      ['disable-account', {}, { target_entities: [user('jdoe'), user('x@')] }, /No target entity is an account this action can look up: "jdoe" is neither/],
      ['disable-account', {}, { target_entities: [user('host', 'HOSTNAME')] }, /No USERUNIQNAME entity in scope/],
      ['get-account', {}, { target_entities: [] }, /No USERUNIQNAME entity in scope/],
      ['disable-account', { M365D_CLOUD: 'GCC High' }, { target_entities: [user(a.upn)] }, /not available in GCC High: Microsoft documents Graph v1.0 identityAccounts .* for the global service only/],
    ];
    for (const [id, extra, input, message] of cases) {
      const seq = emulator.lastSeq();
      const r = await run(ENTRY[id as (typeof ids)[number]], { ...env(), ...extra }, input);
      expect(r.code, `${id} ${JSON.stringify(input)}: ${r.stdout}`).to.equal(2);
      expect(r.result['error'].message).to.match(message);
      expect(em.requests(seq), `${id}: nothing sent`).to.deep.equal([]);
    }
    expect(em.accountActions(a.id)).to.deep.equal([]);
  });

  it('an ambiguous UPN is reported, nothing sent for it', async () => {
    const upn = `twin${++n}@contoso.com`;
    em.addIdentityAccount({ userPrincipalName: upn, providers: ['entraID'] });
    em.addIdentityAccount({ userPrincipalName: upn, providers: ['entraID'] });
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['disable-account'], env(), { target_entities: [user(upn)] });
    expect(outcomes(r)).to.deep.equal([[upn, 'failed']]);
    expect(messageOf(r, upn)).to.match(/matches 2 identity accounts/);
    expect(posts(em, seq)).to.deep.equal([]);
  });

  for (const [what, fault, landed] of [
    ['a 504', { kind: 'status', status: 504, count: 2 }, false],
    ['a reset connection', { kind: 'reset', count: 2 }, false],
    ['a truncated answer', { kind: 'truncate', count: 2 }, true],
  ] as const) {
    it(`posts invokeAction once whatever happens: ${what} (${landed ? 'it landed: a read says so' : 'it did not land: reported as unknown'})`, async () => {
      const a = account(['entraID']);
      em.addFault({ ...fault, match: { method: 'POST', path: `/v1.0/security/identities/identityAccounts/${a.id}/invokeAction` } });
      const seq = emulator.lastSeq();
      const r = await run(ENTRY['disable-account'], env(), { target_entities: [user(a.upn)] });
      expect(r.code, r.stdout).to.equal(0);
      expect(posts(em, seq), 'one POST, not retried').to.have.length(1);
      expect(em.faults()[0]!.remaining).to.equal(1);
      if (landed) {
        expect(outcomes(r)).to.deep.equal([[a.upn, 'success']]);
        expect(messageOf(r, a.upn)).to.match(/Microsoft's answer was lost, but the account now reads as disabled; the request was not sent again/);
        expect(state(a.id)['isEnabled']).to.equal(false);
      } else {
        expect(outcomes(r)).to.deep.equal([[a.upn, 'failed']]);
        expect(messageOf(r, a.upn)).to.match(/The disable may have been applied to .*: it was not sent again; read the account \(Get Account\)/);
        expect(state(a.id)['isEnabled']).to.equal(true);
      }
    });
  }

  it('a 429 on invokeAction (not applied) is waited out through Retry-After and the action lands once', async () => {
    const a = account(['entraID']);
    em.addFault({ kind: 'status', status: 429, retryAfter: 1, count: 1, match: { method: 'POST', path: `/v1.0/security/identities/identityAccounts/${a.id}/invokeAction` } });
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['revoke-all-sessions'], env(), { target_entities: [user(a.upn)] });
    expect(outcomes(r)).to.deep.equal([[a.upn, 'success']]);
    expect(posts(em, seq).map((q) => q.status)).to.deep.equal([429, 200]);
    expect(em.accountActions(a.id).map((x) => x.action)).to.deep.equal(['revokeAllSessions']);
  });

  it('a request that times out (M365D_TIMEOUT) fails that account only, its outcome unknown after a read; the next account goes on', async () => {
    const [a1, a2] = [account(['entraID']), account(['entraID'])];
    // the emulator holds the first invokeAction longer than the request may take; it is applied after the read that follows
    em.addFault({ kind: 'delay', delayMs: 4_500, count: 1, match: { method: 'POST', path: `/v1.0/security/identities/identityAccounts/${a1.id}/invokeAction` } });
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['disable-account'], { ...env(), M365D_TIMEOUT: '2' }, { target_entities: [user(a1.upn), user(a2.upn)] });
    expect(r.code, r.stdout).to.equal(0);
    expect(r.result['status']).to.equal('completed');
    expect(outcomes(r)).to.deep.equal([[a1.upn, 'failed'], [a2.upn, 'success']]);
    expect(messageOf(r, a1.upn)).to.match(/within 2 s \(M365D_TIMEOUT\)\. The disable may have been applied to .*: it was not sent again; read the account/);
    expect(posts(em, seq), 'one POST each; the one that timed out not sent again').to.have.length(2);
    expect(graph(em, seq).filter((q) => q.method === 'GET' && q.path.endsWith(`/identityAccounts/${a1.id}`)), 'the account read to decide').to.have.length(1);
    expect(state(a2.id)['isEnabled']).to.equal(false);
  });

  it('stops a margin before the deadline (M365D_ACTION_TIMEOUT): the result lists what was done, the POST cut short, and what was not started', async () => {
    const [a0, a1, a2] = [account(['entraID'], false), account(['entraID']), account(['entraID'])];
    em.addFault({ kind: 'delay', delayMs: 10_000, count: 1, match: { method: 'POST', path: `/v1.0/security/identities/identityAccounts/${a1.id}/invokeAction` } });
    const seq = emulator.lastSeq();
    const r = await run(ENTRY['disable-account'], { ...env(), M365D_ACTION_TIMEOUT: '5' }, { target_entities: [user(a0.upn), user(a1.upn), user(a2.upn)] });
    expect(r.code, r.stdout).to.equal(0);
    expect(r.result['status']).to.equal('completed');
    expect(outcomes(r)).to.deep.equal([[a0.upn, 'success'], [a1.upn, 'failed'], [a2.upn, 'failed']]);
    expect(messageOf(r, a0.upn)).to.match(/already is disabled/);
    expect(messageOf(r, a1.upn)).to.match(/reached its deadline or was stopped\. The disable may have been applied to .*: it was not sent again/);
    expect(messageOf(r, a2.upn)).to.match(/^Not started: the run stopped before its deadline .*nothing was sent for it\.$/);
    expect(r.result['output_message']).to.equal(`disable: 1 of 3 accounts done; ${a1.upn} failed, ${a2.upn} failed.`);
    expect(posts(em, seq)).to.have.length(1);
    expect(graph(em, seq).some((q) => decodeURIComponent(q.query).includes(a2.upn)), 'nothing sent for the account not started').to.equal(false);
  });

  it('PERMISSION names the permission the app lacks: the lookup without SecurityIdentitiesAccount.Read.All, the action without SecurityIdentitiesActions.ReadWrite.All', async () => {
    const a = account(['entraID']);
    const noRead = await run(ENTRY['disable-account'], app('nohunting'), { target_entities: [user(a.upn)] });
    expect(noRead.code).to.equal(1);
    expect(noRead.result['error'].code).to.equal('PERMISSION');
    expect(noRead.result['error'].message).to.match(/SecurityIdentitiesAccount\.Read\.All/);
    const seq = emulator.lastSeq();
    const readOnly = await run(ENTRY['disable-account'], app('readonly'), { target_entities: [user(a.upn)] });
    expect(readOnly.result['error'].code).to.equal('PERMISSION');
    expect(readOnly.result['error'].message).to.match(/SecurityIdentitiesActions\.ReadWrite\.All/);
    expect(posts(em, seq)).to.have.length(1);
    expect(em.accountActions(a.id)).to.deep.equal([]);
    expect(state(a.id)['isEnabled']).to.equal(true);
  });

  it('Get Account: the identity account with its provider accounts and the actions each supports; an unknown one not found', async () => {
    const a = account(['entraID', 'activeDirectory']);
    const sid = String(state(a.id)['onPremisesSecurityIdentifier']);
    const r = await run(ENTRY['get-account'], app('readonly'), { target_entities: [user(a.upn), user(sid), user('ghost@contoso.com')] });
    expect(r.code, r.stdout).to.equal(0);
    expect(outcomes(r)).to.deep.equal([[a.upn, 'success'], [sid, 'success'], ['ghost@contoso.com', 'not_found']]);
    const row = (r.result['json_result']['accounts'] as Json[])[0]!;
    expect(row['identity_account']).to.deep.equal(state(a.id));
    expect(row['supported_actions'].map((s: Json) => [s['identity_provider'], s['actions']])).to.deep.equal([
      ['entraID', ['disable', 'enable', 'revokeAllSessions', 'requireUserToSignInAgain', 'markUserAsCompromised']],
      ['activeDirectory', ['disable', 'enable', 'forcePasswordReset']],
    ]);
    expect(r.result['tables'][0]['rows']).to.have.length(3);
  });
});
