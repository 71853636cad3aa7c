// Account actions on Microsoft Graph v1.0: Defender for Identity's identity accounts (issue 16), on Graph whatever the
// configured family (surfaces.ts: the 'identities' resource).
//
// Microsoft's pages (microsoft-graph-docs-contrib, api-reference/v1.0, ms.date 2025-06-22):
// - resources/security-identityaccounts.md: an identity account has id, displayName, domain, isEnabled,
//   onPremisesSecurityIdentifier, cloudSecurityIdentifier and `accounts` (one per identity provider);
//   resources/security-user.md (the derived type the collection holds for users) adds userPrincipalName and
//   emailAddress.
// - api/security-identitycontainer-list-identityaccounts.md: `GET /security/identities/identityAccounts`, $filter and
//   $select; permission SecurityIdentitiesAccount.Read.All. Its only $filter example is on
//   onPremisesSecurityIdentifier; the page does not list the filterable properties. We filter on the user's
//   userPrincipalName / emailAddress (security-user.md) for a UPN or e-mail, on the two security identifiers for a SID,
//   and on displayName for DOMAIN\user (the collection has no sAMAccountName; Microsoft's example shows the account
//   name as displayName, "accoundJon"), keeping only the accounts whose domain is DOMAIN or starts with "DOMAIN.".
// - api/security-identityaccounts-invokeaction.md: `POST .../identityAccounts/{id}/invokeAction` with `accountId`,
//   `action`, `identityProvider`; 200 and an invokeActionResult (resources/security-invokeactionresult.md: accountId,
//   action, identityProvider, correlationId); permission SecurityIdentitiesActions.ReadWrite.All.
// - Which provider supports which action. Microsoft's pages disagree: the invokeAction page's table leaves entraID out
//   (Disable/Enable: activeDirectory, okta; ForcePasswordReset: activeDirectory; RevokeAllSessions: okta) and notes
//   "Actions related to Entra ID are not covered in the current scope"; resources/security-account.md, the page of the
//   provider account itself, lists Disable and Enable: activeDirectory, entraID, okta; ForcePasswordReset:
//   activeDirectory; RevokeAllSessions: entraID, okta; RequireUserToSignInAgain and MarkUserAsCompromised: entraID. We
//   follow security-account.md (the newer, complete table, and the only one naming the last two actions); Microsoft's
//   own refusal of an entraID action still reaches the user as its error for that entity.
// - Provider accounts: security-account.md names the provider `identityProvider` (entraID, activeDirectory, okta); the
//   list page's example writes `provider` with "ActiveDirectory", "EntraID", "Okta". Both keys are read, any case.
// - National clouds: the v1.0 pages (list, get, invokeAction) include global-only.md: Global service only (US
//   Government L4 and L5 not available; only beta lists them, and the package does not call beta). In GCC High and DoD
//   the actions fail before sending (CONFIGURATION).

import type { Config } from '../runtime/config';
import { ActionError, configurationError, invalidInput } from '../runtime/errors';
import type { Entity } from '../runtime/entities';
import type { EntityOutcome } from '../generated/contract.types';
import { describeAnswer, expectObject, isJsonObject, kindOf, shapeError, type Answered, type JsonObject } from '../runtime/shape';
import { isStopped, isUnknownOutcome, failedAfter, NOT_STARTED, RUN_STOPPING_CODES, type DefenderApi } from './api';
import { followPages } from './pages';
import { odataString, queryString } from './odata';

export const IDENTITY_PROVIDERS = ['entraID', 'activeDirectory', 'okta'] as const;
export type IdentityProvider = (typeof IDENTITY_PROVIDERS)[number];

export const ACCOUNT_ACTIONS = ['disable', 'enable', 'forcePasswordReset', 'revokeAllSessions', 'requireUserToSignInAgain', 'markUserAsCompromised'] as const;
export type AccountAction = (typeof ACCOUNT_ACTIONS)[number];

/** security-account.md's table; the order is the preference when the caller names no provider (on-premises first:
 * a synced account's source of authority is Active Directory). */
export const SUPPORTED_PROVIDERS: Readonly<Record<AccountAction, readonly IdentityProvider[]>> = {
  disable: ['activeDirectory', 'entraID', 'okta'],
  enable: ['activeDirectory', 'entraID', 'okta'],
  forcePasswordReset: ['activeDirectory'],
  revokeAllSessions: ['entraID', 'okta'],
  requireUserToSignInAgain: ['entraID'],
  markUserAsCompromised: ['entraID'],
};

/** What each action does, for messages: "disabled", "had its password reset forced". */
const DONE: Readonly<Record<AccountAction, string>> = {
  disable: 'disabled',
  enable: 'enabled',
  forcePasswordReset: 'forced to reset its password',
  revokeAllSessions: 'had all its sessions revoked',
  requireUserToSignInAgain: 'required to sign in again',
  markUserAsCompromised: 'marked as compromised',
};

const PROVIDER_NAMES: ReadonlyMap<string, IdentityProvider> = new Map(IDENTITY_PROVIDERS.map((p) => [p.toLowerCase(), p]));

/** The identity provider a name means (any case: entraID, EntraID, activeDirectory, Okta), or undefined. */
export const providerOf = (name: string): IdentityProvider | undefined => PROVIDER_NAMES.get(name.trim().toLowerCase());

/** The `identity_provider` parameter: one of the three, any case; blank is none. */
export function parseIdentityProvider(value: string | undefined, param = 'identity_provider'): IdentityProvider | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const p = providerOf(value);
  if (!p) throw invalidInput(`Parameter '${param}' is ${JSON.stringify(value.trim().slice(0, 80))}; valid: ${IDENTITY_PROVIDERS.join(', ')} (any case), or leave it empty to use the provider of the account's own provider accounts that supports the action.`);
  return p;
}

/** The action with a provider that does not support it: refused before anything is sent (exit 2). */
export function checkProviderSupports(action: AccountAction, provider: IdentityProvider | undefined): void {
  if (provider && !SUPPORTED_PROVIDERS[action].includes(provider)) {
    throw invalidInput(`Parameter 'identity_provider' is ${provider}, which does not support ${action} (Microsoft's security-account.md: ${action} is supported on ${SUPPORTED_PROVIDERS[action].join(', ')}).`);
  }
}

const GOV_GRAPH_HOSTS = new Set(['graph.microsoft.us', 'dod-graph.microsoft.us']);

/** CONFIGURATION in GCC High and DoD (or with their Graph hosts): v1.0 is documented for the global service only. */
export function checkAccountsCloud(config: Pick<Config, 'cloud'>, api: Pick<DefenderApi, 'apiUrl'>): void {
  const host = new URL(api.apiUrl).hostname.toLowerCase();
  if (config.cloud === 'GCC High' || config.cloud === 'DoD' || GOV_GRAPH_HOSTS.has(host)) {
    throw configurationError(`Identity account actions are not available in ${config.cloud === 'GCC High' || config.cloud === 'DoD' ? config.cloud : `the cloud of ${host}`}: Microsoft documents Graph v1.0 identityAccounts (list, get, invokeAction) for the global service only (US Government L4 and L5 are not available), and this package does not call Graph beta. Nothing was sent.`);
  }
}

// ---------------------------------------------------------------- the entity's account key

export type AccountKey =
  | { kind: 'upn'; value: string }
  | { kind: 'sam'; domain: string; name: string }
  | { kind: 'sid'; value: string };

const UPN = /^[^\s@"\\<>()[\],;:]{1,256}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;
const SAM_DOMAIN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$/;
// sAMAccountName: no " / \ [ ] : ; | = , + * ? < > @ (Active Directory's rule), at most 256 here
const SAM_NAME = /^[^"/\\[\]:;|=,+*?<>@\s][^"/\\[\]:;|=,+*?<>@]{0,255}$/;
const SID = /^S-1-\d{1,14}(?:-\d{1,10}){1,15}$/i;

export const ACCOUNT_FORMS = 'a user principal name or e-mail address (jdoe@contoso.com), an on-premises DOMAIN\\user (CONTOSO\\jdoe), or a security identifier (S-1-5-21-...)';

/** The key an account is looked up by, or a problem saying why the identifier is none. */
export function parseAccountKey(identifier: string): AccountKey | { problem: string } {
  const v = identifier.trim();
  if (SID.test(v)) return { kind: 'sid', value: v.toUpperCase() };
  const slash = v.indexOf('\\');
  if (slash >= 0) {
    const domain = v.slice(0, slash);
    const name = v.slice(slash + 1);
    if (SAM_DOMAIN.test(domain) && SAM_NAME.test(name)) return { kind: 'sam', domain, name };
    return { problem: `is not a valid DOMAIN\\user (the domain is letters, digits, dots and hyphens; the user name has none of " / \\ [ ] : ; | = , + * ? < > @); give ${ACCOUNT_FORMS}` };
  }
  if (v.includes('@')) {
    if (v.length <= 320 && UPN.test(v)) return { kind: 'upn', value: v };
    return { problem: `is not a valid user principal name or e-mail address; give ${ACCOUNT_FORMS}` };
  }
  return { problem: `is neither a user principal name nor DOMAIN\\user nor a security identifier; give ${ACCOUNT_FORMS}` };
}

// ---------------------------------------------------------------- the identity account as read

export interface ProviderAccount {
  /** the provider account's id: the invokeAction `accountId` */
  identifier: string;
  /** the provider as Microsoft wrote it */
  providerName: string;
  /** the provider it means, or undefined for one this package does not know (unknownFutureValue, a new one) */
  provider: IdentityProvider | undefined;
  /** Microsoft's `actions` list as written */
  actions: string[];
}

/** Microsoft's identity account object as it came (its id checked) */
export type RawIdentityAccount = JsonObject & { id: string };

export interface IdentityAccount {
  id: string;
  displayName: string | null;
  domain: string | null;
  userPrincipalName: string | null;
  isEnabled: boolean | null;
  accounts: ProviderAccount[];
  /** the object as Microsoft sent it */
  raw: RawIdentityAccount;
}

const ACCOUNT = 'an identity account (a JSON object with a string id)';
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/;

const optionalString = (o: JsonObject, key: string, at: Answered): string | null => {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw shapeError(at, `an identity account whose '${key}' is ${kindOf(v)}`, `'${key}' to be a string`);
  return v;
};

/** An identity account from Microsoft's answer, checked for the shape it must have (API_ERROR otherwise). */
export function identityAccountFrom(answer: unknown, at: Answered): IdentityAccount {
  const o = expectObject(answer, at, ACCOUNT);
  const id = o['id'];
  if (typeof id !== 'string' || !ID.test(id)) throw shapeError(at, `an object whose 'id' is ${typeof id === 'string' ? 'not an identifier' : kindOf(id)}`, ACCOUNT);
  const enabled = o['isEnabled'];
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') throw shapeError(at, `an identity account whose 'isEnabled' is ${kindOf(enabled)}`, "'isEnabled' to be true or false");
  const list = o['accounts'] ?? [];
  if (!Array.isArray(list)) throw shapeError(at, `an identity account whose 'accounts' is ${kindOf(list)}`, "'accounts' to be a list of provider accounts");
  const accounts = list.map((a): ProviderAccount => {
    if (!isJsonObject(a)) throw shapeError(at, `a provider account that is ${describeAnswer(a)}`, 'a provider account (a JSON object)');
    const identifier = a['identifier'];
    const name = a['identityProvider'] ?? a['provider'];
    if (typeof identifier !== 'string' || !ID.test(identifier)) throw shapeError(at, `a provider account whose 'identifier' is ${typeof identifier === 'string' ? 'not an identifier' : kindOf(identifier)}`, "'identifier' to be the account's id");
    if (typeof name !== 'string') throw shapeError(at, `a provider account whose provider is ${kindOf(name)}`, "'identityProvider' (or 'provider') to be a string");
    const actions = a['actions'] ?? [];
    if (!Array.isArray(actions) || actions.some((x) => typeof x !== 'string')) throw shapeError(at, `a provider account whose 'actions' is ${kindOf(actions)}`, "'actions' to be a list of strings");
    return { identifier, providerName: name, provider: providerOf(name), actions: actions as string[] };
  });
  return { id, displayName: optionalString(o, 'displayName', at), domain: optionalString(o, 'domain', at), userPrincipalName: optionalString(o, 'userPrincipalName', at), isEnabled: typeof enabled === 'boolean' ? enabled : null, accounts, raw: o as RawIdentityAccount };
}

const COLLECTION = '/v1.0/security/identities/identityAccounts';
/** more than one match is ambiguous: a few are enough to say so */
const MAX_MATCHES = 5;
const MAX_PAGES = 3;

function filterFor(key: AccountKey): string {
  switch (key.kind) {
    case 'upn': {
      const v = odataString(key.value, 'target_entities');
      return `userPrincipalName eq ${v} or emailAddress eq ${v}`;
    }
    case 'sid': {
      const v = odataString(key.value, 'target_entities');
      return `onPremisesSecurityIdentifier eq ${v} or cloudSecurityIdentifier eq ${v}`;
    }
    case 'sam':
      return `displayName eq ${odataString(key.name, 'target_entities')}`;
  }
}

const domainMatches = (domain: string | null, netbios: string): boolean => {
  if (domain === null) return false;
  const d = domain.toLowerCase();
  const n = netbios.toLowerCase();
  return d === n || d.startsWith(`${n}.`);
};

/** The identity accounts an entity's key names (at most a few: more than one is ambiguous). */
export async function findIdentityAccounts(api: DefenderApi, key: AccountKey, shown: string): Promise<IdentityAccount[]> {
  const label = `looking up the identity account of ${shown}`;
  const at: Answered = { api: api.name, label };
  const path = `${COLLECTION}?${queryString({ $filter: filterFor(key) })}`;
  const found: IdentityAccount[] = [];
  for await (const page of followPages(api, { method: 'GET', path, label, capability: 'readAccounts' }, MAX_PAGES)) {
    for (const item of page.value) {
      const account = identityAccountFrom(item, at);
      if (key.kind === 'sam' && !domainMatches(account.domain, key.domain)) continue;
      found.push(account);
    }
    if (found.length >= MAX_MATCHES) break;
  }
  return found;
}

/** One identity account by its id. */
export async function getIdentityAccount(api: DefenderApi, id: string): Promise<IdentityAccount> {
  const label = `reading identity account ${id}`;
  return identityAccountFrom(await api.call({ method: 'GET', path: `${COLLECTION}/${encodeURIComponent(id)}`, label, capability: 'readAccounts' }), { api: api.name, label });
}

// ---------------------------------------------------------------- planning and invoking

export type AccountPlan =
  | { kind: 'send'; account: ProviderAccount; provider: IdentityProvider }
  | { kind: 'done'; message: string }
  | { kind: 'refused'; message: string };

/**
 * What to do for one identity account: the provider account to act on (the one given, or the first of the account's
 * own provider accounts whose provider supports the action and that offers it now), nothing when the account already
 * is as asked, or a refusal saying why.
 *
 * Already as asked: a disable of an account whose isEnabled is false, an enable of one whose isEnabled is true, and a
 * disable (enable) where the provider accounts offer only the opposite action: a provider account's `actions` lists
 * what can be done now (security-identityaccounts-get.md's example: a disabled account offers ["Enable"]). An empty
 * `actions` list (the list page's examples) says nothing, and then the documented table decides alone.
 */
export function planAccountAction(identity: IdentityAccount, action: AccountAction, given: IdentityProvider | undefined): AccountPlan {
  const name = identity.userPrincipalName ?? identity.displayName ?? identity.id;
  if (action === 'disable' && identity.isEnabled === false) return { kind: 'done', message: `${name} already is disabled (isEnabled false); nothing was sent.` };
  if (action === 'enable' && identity.isEnabled === true) return { kind: 'done', message: `${name} already is enabled (isEnabled true); nothing was sent.` };
  const has = identity.accounts.map((a) => a.providerName).join(', ') || 'none';
  const supported = SUPPORTED_PROVIDERS[action];
  const offers = (a: ProviderAccount, what: string) => a.actions.some((x) => x.toLowerCase() === what.toLowerCase());
  const opposite = action === 'disable' ? 'enable' : action === 'enable' ? 'disable' : undefined;
  // offers it now, or says nothing about what it offers
  const open = (a: ProviderAccount) => a.actions.length === 0 || offers(a, action);
  const asAsked = (a: ProviderAccount) => opposite !== undefined && !open(a) && offers(a, opposite);
  const candidates = given ? identity.accounts.filter((a) => a.provider === given) : supported.flatMap((p) => identity.accounts.filter((a) => a.provider === p));
  if (candidates.length === 0) {
    return given
      ? { kind: 'refused', message: `${name} has no ${given} account (its provider accounts: ${has}); nothing was sent for it.` }
      : { kind: 'refused', message: `${name} has no provider account that supports ${action} (${action} is supported on ${supported.join(', ')}; its provider accounts: ${has}); nothing was sent for it.` };
  }
  const account = candidates.find(open);
  if (account) return { kind: 'send', account, provider: account.provider! };
  if (candidates.every(asAsked)) {
    return { kind: 'done', message: `${name} already is ${action}d on ${candidates.map((a) => a.providerName).join(', ')} (Microsoft offers only ${opposite} there now); nothing was sent.` };
  }
  return { kind: 'refused', message: `${name}'s ${candidates.map((a) => `${a.providerName} account offers ${a.actions.join(', ') || 'nothing'}`).join('; ')} now, not ${action}; nothing was sent for it.` };
}

/** Microsoft's invokeActionResult: the object, or the object under `value` as the page's example writes it. */
function invokeResultFrom(answer: unknown, at: Answered): JsonObject {
  const o = expectObject(answer, at, 'an invokeActionResult (a JSON object)');
  const inner = isJsonObject(o['value']) ? o['value'] : o;
  if (typeof inner['accountId'] !== 'string' && typeof inner['correlationId'] !== 'string') {
    throw shapeError(at, describeAnswer(answer), "an invokeActionResult (with 'accountId' and 'correlationId')");
  }
  return o;
}

/** POSTs invokeAction once (never repeated: it may have been applied). */
export async function invokeAccountAction(api: DefenderApi, identity: IdentityAccount, plan: Extract<AccountPlan, { kind: 'send' }>, action: AccountAction): Promise<JsonObject> {
  const label = `invoking ${action} on ${plan.provider} account ${plan.account.identifier} of identity account ${identity.id}`;
  const answer = await api.call({
    method: 'POST',
    path: `${COLLECTION}/${encodeURIComponent(identity.id)}/invokeAction`,
    body: { accountId: plan.account.identifier, action, identityProvider: plan.provider },
    label,
    capability: 'accountActions',
    idempotent: false,
    unknownOutcome: `The ${action} may have been applied to ${identity.userPrincipalName ?? identity.id}: it was not sent again; read the account (Get Account) or the Defender portal's action center before repeating it.`,
  });
  return invokeResultFrom(answer, { api: api.name, label });
}

// ---------------------------------------------------------------- the run of one of the six actions

export interface AccountActionRow {
  identifier: string;
  status: EntityOutcome['status'];
  message: string;
  identity_account_id: string | null;
  identity_provider: string | null;
  account_id: string | null;
  /** Microsoft's invokeActionResult, when the action was sent and answered */
  result: JsonObject | null;
  /** the identity account as Microsoft sent it, when found */
  identity_account: RawIdentityAccount | null;
}

export interface AccountActionRun {
  result_value: boolean;
  output_message: string;
  json_result: { action: AccountAction; accounts: AccountActionRow[] };
  entities: EntityOutcome[];
}

/**
 * After an invokeAction whose outcome is unknown (no complete answer, a request timeout, a gateway's 502/504, a 503 without Retry-After): for disable and enable the
 * state can be read, so one GET tells whether it landed; the POST is never sent again.
 */
async function landed(api: DefenderApi, identity: IdentityAccount, action: AccountAction): Promise<boolean> {
  if (action !== 'disable' && action !== 'enable') return false;
  try {
    const now = await getIdentityAccount(api, identity.id);
    return now.isEnabled === (action === 'enable');
  } catch {
    return false;
  }
}

/**
 * The six write actions: each entity's key checked before anything is sent (a bad one is reported, and a run with
 * no good one is INVALID_INPUT), then per entity: look the identity account up, plan, and invoke once.
 */
export async function runAccountAction(input: { api: DefenderApi; config: Pick<Config, 'cloud'>; entities: readonly Entity[]; action: AccountAction; provider: string | undefined; signal?: AbortSignal }): Promise<AccountActionRun> {
  const { api, action, signal } = input;
  const fatal = (err: ActionError): boolean => RUN_STOPPING_CODES.has(err.code) && !isStopped(err, signal);
  const provider = parseIdentityProvider(input.provider);
  checkProviderSupports(action, provider);
  checkAccountsCloud(input.config, api);
  const rows: AccountActionRow[] = [];
  const row = (identifier: string, status: AccountActionRow['status'], message: string, extra: Partial<AccountActionRow> = {}): AccountActionRow => {
    const r: AccountActionRow = { identifier, status, message, identity_account_id: null, identity_provider: null, account_id: null, result: null, identity_account: null, ...extra };
    rows.push(r);
    return r;
  };
  const keyed: Array<{ entity: Entity; key: AccountKey }> = [];
  for (const entity of input.entities) {
    const key = parseAccountKey(entity.identifier);
    if ('problem' in key) row(entity.identifier, 'failed', `${JSON.stringify(entity.identifier.slice(0, 120))} ${key.problem}; nothing was sent for it.`);
    else keyed.push({ entity, key });
  }
  if (input.entities.length === 0) throw invalidInput(`No USERUNIQNAME entity in scope: give the case's users (${ACCOUNT_FORMS}) as target entities.`);
  if (keyed.length === 0) throw invalidInput(`No target entity is an account this action can look up: ${rows.map((r) => r.message).join(' ')}`);

  for (const { entity, key } of keyed) {
    const shown = entity.identifier;
    if (signal?.aborted) {
      row(shown, 'failed', NOT_STARTED);
      continue;
    }
    try {
      const found = await findIdentityAccounts(api, key, shown);
      if (found.length === 0) {
        row(shown, 'not_found', `No identity account in Defender for Identity matches ${shown}; nothing was sent for it.`);
        continue;
      }
      if (found.length > 1) {
        row(shown, 'failed', `${shown} matches ${found.length >= MAX_MATCHES ? `${MAX_MATCHES} or more` : found.length} identity accounts (${found.map((f) => f.id).join(', ')}); give a user principal name or a security identifier that names one. Nothing was sent for it.`);
        continue;
      }
      const identity = found[0]!;
      const base = { identity_account_id: identity.id, identity_account: identity.raw };
      const plan = planAccountAction(identity, action, provider);
      if (plan.kind === 'done') { row(shown, 'success', plan.message, base); continue; }
      if (plan.kind === 'refused') { row(shown, 'failed', plan.message, base); continue; }
      const target = { ...base, identity_provider: plan.provider, account_id: plan.account.identifier };
      let result: JsonObject;
      try {
        result = await invokeAccountAction(api, identity, plan, action);
      } catch (err) {
        if (isUnknownOutcome(err) && (await landed(api, identity, action))) {
          row(shown, 'success', `${shown} ${DONE[action]} (${plan.provider} account ${plan.account.identifier}): Microsoft's answer was lost, but the account now reads as ${action}d; the request was not sent again.`, target);
          continue;
        }
        if (err instanceof ActionError && !fatal(err)) { row(shown, 'failed', err.message, target); continue; }
        throw err;
      }
      row(shown, 'success', `${shown} ${DONE[action]} (${plan.provider} account ${plan.account.identifier}).`, { ...target, result });
    } catch (err) {
      if (!(err instanceof ActionError)) throw err;
      const done = rows.filter((r) => r.status === 'success').map((r) => r.identifier);
      if (fatal(err)) throw failedAfter(err, done);
      row(shown, err.code === 'NOT_FOUND' ? 'not_found' : 'failed', err.message);
    }
  }
  const ok = rows.filter((r) => r.status === 'success').length;
  const order = new Map(input.entities.map((e, i) => [e.identifier, i]));
  rows.sort((a, b) => (order.get(a.identifier) ?? 0) - (order.get(b.identifier) ?? 0));
  return {
    result_value: ok > 0,
    output_message: `${action}: ${ok} of ${rows.length} account${rows.length === 1 ? '' : 's'} done${ok < rows.length ? `; ${rows.filter((r) => r.status !== 'success').map((r) => `${r.identifier} ${r.status.replace('_', ' ')}`).join(', ')}` : ''}.`,
    json_result: { action, accounts: rows },
    entities: rows.map((r) => ({ Identifier: r.identifier, EntityType: 'USERUNIQNAME', status: r.status, message: r.message })),
  };
}

/** Per provider account of an identity account: the actions this package may send on it (security-account.md). */
export function supportedActions(account: ProviderAccount): AccountAction[] {
  return account.provider ? ACCOUNT_ACTIONS.filter((a) => SUPPORTED_PROVIDERS[a].includes(account.provider!)) : [];
}

export interface AccountReadRow {
  identifier: string;
  status: EntityOutcome['status'];
  message: string;
  identity_account: RawIdentityAccount | null;
  supported_actions: Array<{ identity_provider: string; account_id: string; actions: string[] }>;
}

/** Get Account: each entity's identity account (a bad key is reported; a run with no good one is INVALID_INPUT). */
export async function readAccounts(api: DefenderApi, config: Pick<Config, 'cloud'>, entities: readonly Entity[]): Promise<AccountReadRow[]> {
  checkAccountsCloud(config, api);
  if (entities.length === 0) throw invalidInput(`No USERUNIQNAME entity in scope: give the case's users (${ACCOUNT_FORMS}) as target entities.`);
  const keys = entities.map((e) => ({ entity: e, key: parseAccountKey(e.identifier) }));
  if (keys.every((k) => 'problem' in k.key)) throw invalidInput(`No target entity is an account this action can look up: ${keys.map((k) => `${JSON.stringify(k.entity.identifier.slice(0, 120))} ${(k.key as { problem: string }).problem}.`).join(' ')}`);
  const rows: AccountReadRow[] = [];
  for (const { entity, key } of keys) {
    const row = (status: AccountReadRow['status'], message: string, identity?: IdentityAccount) => rows.push({
      identifier: entity.identifier, status, message, identity_account: identity?.raw ?? null,
      supported_actions: identity ? identity.accounts.map((a) => ({ identity_provider: a.providerName, account_id: a.identifier, actions: supportedActions(a) })) : [],
    });
    if ('problem' in key) { row('failed', `${JSON.stringify(entity.identifier.slice(0, 120))} ${key.problem}; nothing was sent for it.`); continue; }
    const found = await findIdentityAccounts(api, key, entity.identifier);
    if (found.length === 0) row('not_found', `No identity account in Defender for Identity matches ${entity.identifier}.`);
    else if (found.length > 1) row('failed', `${entity.identifier} matches ${found.length >= MAX_MATCHES ? `${MAX_MATCHES} or more` : found.length} identity accounts (${found.map((f) => f.id).join(', ')}); give a user principal name or a security identifier that names one.`);
    else {
      const a = found[0]!;
      const providers = a.accounts.map((p) => `${p.providerName} (${supportedActions(p).join(', ') || 'no action this package sends'})`).join('; ') || 'no provider accounts';
      row('success', `${a.userPrincipalName ?? a.displayName ?? a.id}: ${a.isEnabled === null ? 'enabled state not given' : a.isEnabled ? 'enabled' : 'disabled'}; ${providers}.`, a);
    }
  }
  return rows;
}
