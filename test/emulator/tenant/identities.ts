// Defender for Identity's identity accounts on the Microsoft Graph v1.0 face:
//   GET  /v1.0/security/identities/identityAccounts                 (list; $filter, $select; $top/$skip/$count chosen here)
//   GET  /v1.0/security/identities/identityAccounts/{id}            ($select)
//   POST /v1.0/security/identities/identityAccounts/{id}/invokeAction  {accountId, action, identityProvider}
// Seeded from the same users the incidents and hunting tables name (tenant/seed.ts makeEntities), so a case's
// USERUNIQNAME resolves to an identity account here.
//
// Microsoft sources (microsoftgraph/microsoft-graph-docs-contrib, api-reference/v1.0, ms.date 2025-06-22):
// - resources/security-identityaccounts.md: properties accounts, cloudSecurityIdentifier, displayName, domain, id, isEnabled,
//   onPremisesSecurityIdentifier; an abstract type from which microsoft.graph.security.user derives.
// - resources/security-user.md: the derived type adds emailAddress and userPrincipalName; items carry
//   "@odata.type": "#microsoft.graph.security.user".
// - resources/security-account.md: account {identifier, identityProvider, actions}; actions `disable`, `enable`,
//   `forcePasswordReset`, `revokeAllSessions`, `requireUserToSignInAgain`, `markUserAsCompromised`, `unknownFutureValue`;
//   identityProvider `entraID`, `activeDirectory`, `okta`, `unknownFutureValue`; supported providers per action: Disable and
//   Enable activeDirectory, entraID, okta; ForcePasswordReset activeDirectory; RevokeAllSessions entraID, okta;
//   RequireUserToSignInAgain entraID; MarkUserAsCompromised entraID.
// - api/security-identitycontainer-list-identityaccounts.md: GET list, "$filter and $select", example
//   `$filter=onPremisesSecurityIdentifier eq '…'`; api/security-identityaccounts-get.md: GET one, "$select".
//   Both: application permission SecurityIdentitiesAccount.Read.All ("Higher privileged permissions: Not available").
// - api/security-identityaccounts-invokeaction.md: POST …/{identityAccountsId}/invokeAction, body accountId, action,
//   identityProvider ("parameters that are required"), 200 + invokeActionResult; application permission
//   SecurityIdentitiesActions.ReadWrite.All. resources/security-invokeactionresult.md: {accountId, action, identityProvider,
//   correlationId}. The SDKs call it by its qualified name (…/microsoft.graph.security.invokeAction, msgraph-sdk-python
//   MicrosoftGraphSecurityInvokeActionRequestBuilder); both names are routed.
// - national clouds: the v1.0 pages include global-only.md (the face itself does not know its cloud; the client refuses).
//
// Where Microsoft's pages disagree, and what the emulator follows:
// - Provider per action: the invokeAction page's table lists only activeDirectory/okta (and "Actions related to Entra ID
//   are not covered in the current scope"), the account resource page (same date, with unknownFutureValue, newer edits)
//   lists entraID too. The emulator follows the resource page, as issue 16 does.
// - Property names: the list/get examples write `"provider": "ActiveDirectory"` and wrap a single entity in "value"; the
//   resource pages and the service metadata (msgraph-sdk-python models/security/account.py: "identityProvider"; the
//   Action/IdentityProvider enums in camelCase) write `identityProvider` with camelCase members and a plain entity. The
//   emulator follows the metadata.
// - `actions` lists what can be done now: in the get example a disabled account offers ["Enable"] and an enabled one
//   ["disable", "forcePasswordReset"]. The emulator offers `enable` alone on a disabled account and every supported action
//   but `enable` on an enabled one.
//
// Not documented, chosen here (README "Identity accounts"): the filterable properties (every scalar string property;
// isEnabled and accounts are not), UPN/e-mail/domain compared ignoring case, $top (at most 1000, default page 100), $skip,
// $count and @odata.nextLink as on the other Graph lists; the 400s of invokeAction (an unknown or missing parameter, a
// value not in the enum, a provider the identity has no account with, an action the provider does not support) and their
// wording; an action that finds the account already as asked (disable on a disabled account) is answered 200 and changes
// nothing; isEnabled is false while any of the identity's provider accounts is disabled; the effect of
// forcePasswordReset, revokeAllSessions, requireUserToSignInAgain and markUserAsCompromised is not on the resource, so it is
// only recorded (em.accountActions()).
import { createHash, randomUUID } from 'node:crypto';
import type { FaceRequest, FaceResponse } from './api';
import type { User } from './model';
import { type EntityModel, type Field, type OrderKey, ODataError } from './odata';
import { applySelect, checkOptions, forbidden, list, notAllowed, parseBody, queryError, safeDecode, segments } from './graph';
import { parseQueryString } from './odata';
import { graphError } from './shapes';
import { Rng } from './seed';

type Json = Record<string, unknown>;

export const IDENTITY_PROVIDERS = ['entraID', 'activeDirectory', 'okta', 'unknownFutureValue'] as const;
export type IdentityProvider = 'entraID' | 'activeDirectory' | 'okta';
export const ACCOUNT_ACTIONS = ['disable', 'enable', 'forcePasswordReset', 'revokeAllSessions', 'requireUserToSignInAgain', 'markUserAsCompromised', 'unknownFutureValue'] as const;
export type AccountAction = Exclude<(typeof ACCOUNT_ACTIONS)[number], 'unknownFutureValue'>;

/** resources/security-account.md, "Supported identity providers" per action. */
export const SUPPORTED_ACTIONS: Record<IdentityProvider, AccountAction[]> = {
  entraID: ['disable', 'enable', 'revokeAllSessions', 'requireUserToSignInAgain', 'markUserAsCompromised'],
  activeDirectory: ['disable', 'enable', 'forcePasswordReset'],
  okta: ['disable', 'enable', 'revokeAllSessions'],
};

/** Read: security-identitycontainer-list-identityaccounts.md and security-identityaccounts-get.md; write: …-invokeaction.md. */
export const IDENTITY_READ = ['SecurityIdentitiesAccount.Read.All'];
export const IDENTITY_ACTIONS = ['SecurityIdentitiesActions.ReadWrite.All'];

export interface ProviderAccount { identityProvider: IdentityProvider; identifier: string; enabled: boolean }

export interface IdentityAccount {
  id: string;
  displayName: string;
  domain: string | null;
  onPremisesSecurityIdentifier: string | null;
  cloudSecurityIdentifier: string | null;
  userPrincipalName: string | null;
  emailAddress: string | null;
  accounts: ProviderAccount[];
}

/** One invokeAction the service accepted (the test API's view; Microsoft shows it in the Action center). */
export interface AccountActionRecord {
  seq: number;
  /** service-clock time */
  time: string;
  identityAccountId: string;
  accountId: string;
  identityProvider: IdentityProvider;
  action: AccountAction;
  correlationId: string;
  /** the app that asked */
  clientId: string;
  /** whether the account's state changed (false: it was already as asked, or the action has no state on the resource) */
  changed: boolean;
}

/** What a test may add (em.addIdentityAccount). */
export interface IdentityAccountInput {
  userPrincipalName: string;
  id?: string;
  displayName?: string;
  domain?: string | null;
  emailAddress?: string | null;
  onPremisesSecurityIdentifier?: string | null;
  cloudSecurityIdentifier?: string | null;
  /** default: entraID only; each gets a new identifier unless given as {identityProvider, identifier} */
  providers?: Array<IdentityProvider | { identityProvider: IdentityProvider; identifier?: string; enabled?: boolean }>;
  /** false: every provider account starts disabled (default true) */
  enabled?: boolean;
}

/** The Entra object SID of an object id: S-1-12-1 and the GUID's 16 bytes (.NET order) as four little-endian uint32. */
export function cloudSid(objectId: string): string | null {
  const hex = objectId.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  const b = Buffer.from(hex, 'hex');
  const net = Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
  return `S-1-12-1-${net.readUInt32LE(0)}-${net.readUInt32LE(4)}-${net.readUInt32LE(8)}-${net.readUInt32LE(12)}`;
}

/** The actions an account offers now (see the header: a disabled account offers only `enable`). */
export function availableActions(a: ProviderAccount): AccountAction[] {
  return a.enabled ? SUPPORTED_ACTIONS[a.identityProvider].filter((x) => x !== 'enable') : ['enable'];
}

export function identityAccountJson(i: IdentityAccount): Json {
  return {
    '@odata.type': '#microsoft.graph.security.user',
    id: i.id,
    displayName: i.displayName,
    domain: i.domain,
    onPremisesSecurityIdentifier: i.onPremisesSecurityIdentifier,
    cloudSecurityIdentifier: i.cloudSecurityIdentifier,
    isEnabled: i.accounts.every((a) => a.enabled),
    accounts: i.accounts.map((a) => ({ identifier: a.identifier, identityProvider: a.identityProvider, actions: availableActions(a) })),
    emailAddress: i.emailAddress,
    userPrincipalName: i.userPrincipalName,
  };
}

export class IdentityStore {
  readonly accounts: IdentityAccount[] = [];
  readonly byId = new Map<string, IdentityAccount>();
  readonly actions: AccountActionRecord[] = [];
  private seq = 0;
  private readonly rng: Rng;

  constructor(seed: number) { this.rng = new Rng((seed ^ 0x1d3a77c5) >>> 0); }

  /** An identity account as the control API adds it; throws a readable error on bad input. */
  add(input: IdentityAccountInput): IdentityAccount {
    if (typeof input.userPrincipalName !== 'string' || input.userPrincipalName.trim() === '') throw new Error('addIdentityAccount: userPrincipalName is required.');
    const id = input.id ?? this.rng.uuid();
    if (typeof id !== 'string' || id.trim() === '') throw new Error('addIdentityAccount: id must be a non-empty string.');
    if (this.byId.has(id)) throw new Error(`addIdentityAccount: an identity account with id '${id}' exists already.`);
    const enabled = input.enabled !== false;
    const accounts: ProviderAccount[] = [];
    for (const p of input.providers ?? ['entraID']) {
      const spec = typeof p === 'string' ? { identityProvider: p } : p;
      if (!(spec.identityProvider in SUPPORTED_ACTIONS)) throw new Error(`addIdentityAccount: unknown identityProvider '${String(spec.identityProvider)}' (entraID, activeDirectory, okta).`);
      if (accounts.some((a) => a.identityProvider === spec.identityProvider)) throw new Error(`addIdentityAccount: provider '${spec.identityProvider}' given twice.`);
      const ident = 'identifier' in spec && typeof spec.identifier === 'string' ? spec.identifier : this.rng.uuid();
      accounts.push({ identityProvider: spec.identityProvider, identifier: ident, enabled: 'enabled' in spec && typeof spec.enabled === 'boolean' ? spec.enabled : enabled });
    }
    const entra = accounts.find((a) => a.identityProvider === 'entraID');
    const hasAd = accounts.some((a) => a.identityProvider === 'activeDirectory');
    const upn = input.userPrincipalName;
    const acc: IdentityAccount = {
      id,
      displayName: input.displayName ?? upn.split('@')[0],
      domain: input.domain !== undefined ? input.domain : hasAd ? upn.split('@')[1] ?? null : null,
      onPremisesSecurityIdentifier: input.onPremisesSecurityIdentifier !== undefined ? input.onPremisesSecurityIdentifier
        : hasAd ? `S-1-5-21-1004336348-1177238915-682003330-${90000 + this.accounts.length}` : null,
      cloudSecurityIdentifier: input.cloudSecurityIdentifier !== undefined ? input.cloudSecurityIdentifier : entra ? cloudSid(entra.identifier) : null,
      userPrincipalName: upn,
      emailAddress: input.emailAddress !== undefined ? input.emailAddress : upn,
      accounts,
    };
    this.insert(acc);
    return acc;
  }

  insert(acc: IdentityAccount): void { this.accounts.push(acc); this.byId.set(acc.id, acc); }

  record(r: Omit<AccountActionRecord, 'seq'>): AccountActionRecord {
    const rec = { seq: ++this.seq, ...r };
    this.actions.push(rec);
    return rec;
  }
}

/**
 * The seeded identity accounts: one per seeded user, with an entraID account (identifier = the user's Entra object id, as
 * the alerts' user evidence names it); about two in three also have activeDirectory (identifier an objectGUID; their
 * onPremisesSecurityIdentifier is the user's SID, as the hunting tables' AccountSid), about one in seven okta; one in
 * thirteen is disabled everywhere. Drawn from their own stream, so the incidents' seed does not move. The seeded UPNs
 * are built from initials and may repeat (Megan and Mateo Carter are both mcarter@contoso.com): such users are two
 * identity accounts, and a UPN filter finds both.
 */
export function seedIdentities(users: readonly User[], seed: number): IdentityStore {
  const store = new IdentityStore(seed);
  const rng = new Rng((seed ^ 0x7e57ab1e) >>> 0);
  users.forEach((u, i) => {
    const enabled = i % 13 !== 4;
    const accounts: ProviderAccount[] = [{ identityProvider: 'entraID', identifier: u.objectId, enabled }];
    const hasAd = i % 3 !== 1;
    if (hasAd) accounts.unshift({ identityProvider: 'activeDirectory', identifier: rng.uuid(), enabled });
    if (i % 7 === 3) accounts.push({ identityProvider: 'okta', identifier: rng.uuid(), enabled });
    store.insert({
      id: stableId(seed, i, u.upn),
      displayName: u.displayName,
      domain: hasAd ? 'contoso.com' : null,
      onPremisesSecurityIdentifier: hasAd ? u.sid : null,
      cloudSecurityIdentifier: cloudSid(u.objectId),
      userPrincipalName: u.upn,
      emailAddress: u.upn,
      accounts,
    });
  });
  return store;
}

function stableId(seed: number, index: number, upn: string): string {
  const h = createHash('sha256').update(`identity:${seed}:${index}:${upn.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---- list model
const S = (name: keyof IdentityAccount, caseInsensitive = false): Field<IdentityAccount> => ({
  name, type: { kind: 'string', caseInsensitive }, get: (i) => i[name] as string | null,
});
const FIELDS: Field<IdentityAccount>[] = [
  S('id'), S('displayName'), S('domain', true), S('onPremisesSecurityIdentifier', true), S('cloudSecurityIdentifier', true),
  S('userPrincipalName', true), S('emailAddress', true),
];
const DECLARED = ['id', 'displayName', 'domain', 'onPremisesSecurityIdentifier', 'cloudSecurityIdentifier', 'isEnabled', 'accounts', 'emailAddress', 'userPrincipalName'];
export const IDENTITY_MODEL: EntityModel<IdentityAccount> = {
  typeName: 'microsoft.graph.security.identityAccounts', filterable: FIELDS, declared: DECLARED, caseInsensitiveNames: true,
};
const ID_FIELD = FIELDS[0];
const ORDER: OrderKey<IdentityAccount>[] = [{ field: ID_FIELD, desc: false }];
export const IDENTITY_MAX_TOP = 1000;
export const IDENTITY_DEFAULT_PAGE = 100;

const ACTION_PARAMS = ['accountId', 'action', 'identityProvider'];

/** The face: undefined when the path is not under /v1.0/security/identities/identityAccounts. */
export function identitiesFace(store: IdentityStore, req: FaceRequest): FaceResponse | undefined {
  const seg = segments(req.path);
  if (seg.length < 4 || seg[0].toLowerCase() !== 'v1.0' || seg[1].toLowerCase() !== 'security'
    || seg[2].toLowerCase() !== 'identities' || seg[3].toLowerCase() !== 'identityaccounts') return undefined;
  const method = req.method.toUpperCase();
  if (seg.length === 4) {
    if (method !== 'GET') return notAllowed(req);
    const f = forbidden(req, IDENTITY_READ); if (f) return f;
    return list(req, {
      items: store.accounts, model: IDENTITY_MODEL, sortable: FIELDS, defaultOrder: ORDER, idField: ID_FIELD,
      maxTop: IDENTITY_MAX_TOP, defaultPage: IDENTITY_DEFAULT_PAGE, options: ['$filter', '$select', '$top', '$skip', '$count'],
      context: 'security/identities/identityAccounts', serialize: (i) => identityAccountJson(i),
    });
  }
  const id = safeDecode(seg[4]);
  const acc = store.byId.get(id);
  if (seg.length === 5) {
    if (method !== 'GET') return notAllowed(req);
    const f = forbidden(req, IDENTITY_READ); if (f) return f;
    if (!acc) return graphError(req, 404, 'NotFound', `Identity account with id '${id}' was not found.`);
    try {
      const q = parseQueryString(req.rawQuery);
      checkOptions(q, ['$select']);
      return { status: 200, body: { '@odata.context': `${req.origin}/v1.0/$metadata#security/identities/identityAccounts/$entity`,
        ...applySelect(identityAccountJson(acc), q.get('$select'), IDENTITY_MODEL as EntityModel<unknown>) } };
    } catch (e) { if (e instanceof ODataError) return queryError(req, e); throw e; }
  }
  const op = seg[5].toLowerCase();
  if (seg.length === 6 && (op === 'invokeaction' || op === 'microsoft.graph.security.invokeaction')) {
    if (method !== 'POST') return notAllowed(req);
    const f = forbidden(req, IDENTITY_ACTIONS); if (f) return f;
    if (!acc) return graphError(req, 404, 'NotFound', `Identity account with id '${id}' was not found.`);
    return invokeAction(store, acc, req);
  }
  return undefined;
}

function invokeAction(store: IdentityStore, acc: IdentityAccount, req: FaceRequest): FaceResponse {
  const parsed = parseBody(req); if (!parsed.ok) return parsed.res;
  const body = parsed.body;
  const bad = (msg: string): FaceResponse => graphError(req, 400, 'BadRequest', msg);
  for (const k of Object.keys(body)) {
    // OData action parameters are matched by exact name (ODL's wording for an unknown one).
    if (!ACTION_PARAMS.includes(k)) return bad(`The parameter '${k}' in the request payload is not a valid parameter for the operation 'invokeAction'.`);
  }
  for (const k of ACTION_PARAMS) {
    if (body[k] === undefined || body[k] === null) return bad(`The parameter '${k}' is required for the operation 'invokeAction'.`);
  }
  if (typeof body.accountId !== 'string' || body.accountId.trim() === '') return bad(`Cannot convert the literal '${JSON.stringify(body.accountId)}' to the expected type 'Edm.String'.`);
  // Graph reads enum members in any case (as for the other security enums).
  const enumIn = <T extends string>(v: unknown, members: readonly T[]): T | undefined =>
    typeof v === 'string' ? members.find((m) => m.toLowerCase() === v.toLowerCase()) : undefined;
  const action = enumIn(body.action, ACCOUNT_ACTIONS);
  if (!action || action === 'unknownFutureValue') return bad(`Cannot convert the literal '${typeof body.action === 'string' ? body.action : JSON.stringify(body.action)}' to the expected type 'microsoft.graph.security.action'.`);
  const provider = enumIn(body.identityProvider, IDENTITY_PROVIDERS);
  if (!provider || provider === 'unknownFutureValue') return bad(`Cannot convert the literal '${typeof body.identityProvider === 'string' ? body.identityProvider : JSON.stringify(body.identityProvider)}' to the expected type 'microsoft.graph.security.identityProvider'.`);
  if (!SUPPORTED_ACTIONS[provider].includes(action)) {
    const supported = (Object.keys(SUPPORTED_ACTIONS) as IdentityProvider[]).filter((p) => SUPPORTED_ACTIONS[p].includes(action));
    return bad(`The action '${action}' is not supported for identity provider '${provider}'. Supported identity providers: ${supported.join(', ')}.`);
  }
  const target = acc.accounts.find((a) => a.identityProvider === provider && a.identifier === body.accountId);
  if (!target) {
    return bad(`The identity account '${acc.id}' has no ${provider} account with identifier '${String(body.accountId)}'.`);
  }
  let changed = false;
  if (action === 'disable' || action === 'enable') {
    const want = action === 'enable';
    changed = target.enabled !== want;
    target.enabled = want;
  }
  const correlationId = randomUUID();
  store.record({
    time: req.now.toISOString(), identityAccountId: acc.id, accountId: target.identifier, identityProvider: provider, action,
    correlationId, clientId: req.caller.clientId, changed,
  });
  return { status: 200, body: {
    '@odata.context': `${req.origin}/v1.0/$metadata#microsoft.graph.security.invokeActionResult`,
    accountId: target.identifier, action, identityProvider: provider, correlationId,
  } };
}
