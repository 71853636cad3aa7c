// Defender for Endpoint's custom indicators (the MDE API, `/api/indicators`): the store, its validation and its answers.
//   POST   /api/indicators          submit or update; 200 + the indicator
//   GET    /api/indicators          the active indicators; $filter, $top (at most 10,000), $skip
//   DELETE /api/indicators/{id}     204; 404 when there is none
//
// Microsoft sources (MicrosoftDocs/defender-docs, defender-endpoint/api/, reference §2.6):
// - post-ti-indicator.md: body indicatorValue, indicatorType (FileSha1, FileMd5, CertificateThumbprint, FileSha256,
//   IpAddress, DomainName, Url), action, title, description (all "Required"), application ("only works for new
//   indicators. It doesn't update the value on an existing indicator"), expirationTime, severity (Informational, Low,
//   Medium, High), recommendedActions, rbacGroupNames, educateUrl, generateAlert; "The GenerateAlert parameter must be set
//   to TRUE when creating an action with Audit"; "CIDR notation for IPs isn't supported"; "100 calls per minute and 1,500
//   calls per hour"; "a limit of 15,000 active indicators per tenant"; 200 with the created or updated indicator, 400 for
//   an incorrect body. Permissions Ti.ReadWrite or Ti.ReadWrite.All (application).
// - ti-indicator.md: the resource's properties (below, `indicatorJson`); the action types supported by the API are
//   Allowed, Audit, Block, BlockAndRemediate, Warn; "The prior response actions (AlertAndBlock, and Alert) will be supported
//   until January 2022".
// - get-ti-indicators-collection.md: "all active Indicators"; $filter on application, createdByDisplayName,
//   expirationTime, generateAlert, title, rbacGroupNames, rbacGroupIds, indicatorValue, indicatorType,
//   creationTimeDateTimeUtc, createdBy, action, severity; "$top with max value of 10,000"; $skip; "If the Application has
//   Ti.ReadWrite.All permission, it will be exposed to all Indicators. Otherwise, it will be exposed only to the
//   Indicators it created." @odata.context "…/api/$metadata#Indicators".
// - delete-ti-indicator-by-id.md: 204 without content; "If Indicator with the specified ID wasn't found - 404 Not Found".
// - common-errors.md: {"error":{"code","message","target"}}; InvalidRequestBody "Request body is incorrect",
//   InvalidHashValue "Hash value {…} is invalid.", InvalidDomainName "Domain name {…} is invalid.", InvalidIpAddress "IP
//   address {…} is invalid.", InvalidUrl "URL {…} is invalid.", MissingRequiredParameter "Parameter {…} is missing.",
//   ODataError; "The submitted body parameters are currently case-sensitive"; Forbidden 403.
// - indicator-ip-domain.md: "Only external IPs can be added to the indicator list; indicators can't be created for
//   internal IPs"; "Only single IP addresses are supported (no CIDR blocks or IP ranges)"; several indicators for one value
//   with different actions (block, warn, allow) can exist ("Allow > Warn > Block").
// - indicator-manage.md: "Network indicators do not support the action type, BlockAndRemediate"; "The indicator gets
//   deleted if the expiration time passes".
//
// Where the sources disagree or are silent, what the emulator does (README "Indicators"):
// - Which submission updates an existing indicator: the API's own page says only "Submits or Updates"; Microsoft's answer in
//   MicrosoftDocs/microsoft-365-docs#4927 names "the same: IndicatorValue, IndicatorType, action"; and the IP/URL page
//   describes one value with several actions. So the same value (hashes, domains and IPs in any case), type and action
//   update that indicator; another action makes a second one.
// - The legacy actions: an open docs PR (MicrosoftDocs/defender-docs#504, 2026) reports the API still accepts
//   `AlertAndBlock` and stores it as BlockAndRemediate with generateAlert true; nothing reports `Alert` accepted, and the
//   CSV import refuses both ("Possible values: Allowed,Audit,BlockAndRemediate,Warn,Block", microsoft-365-docs#10384). The
//   emulator maps AlertAndBlock as reported and refuses Alert (400 InvalidRequestBody naming the current actions).
// - $filter: the OData samples page lists fewer properties than the list page; the list page (the API's own) is followed for
//   the string, enum and date properties; generateAlert, rbacGroupNames and rbacGroupIds are not modelled (400 "cannot be
//   used"). Property names in $filter are read in any case (the samples page itself writes `ComputerDnsName`, `RiskScore`
//   while its examples write `computerDnsName`, `riskScore`); enum values as the metadata writes them.
// - Not documented, chosen: the 400 codes of an Audit without generateAlert, a network indicator with BlockAndRemediate, an
//   internal IP (InvalidIpAddress), an expirationTime in the past (InvalidInput), the 16th-thousand indicator (BadRequest
//   "…maximum of 15000 active indicators…"); a body name in the wrong case is InvalidRequestBody (and a required one is then
//   missing: MissingRequiredParameter, as common-errors.md describes); names the emulator does not know are ignored; enum
//   values are case-sensitive; a page without $top holds every match up to 10,000 and no list carries @odata.nextLink
//   (reference §2.4: MDE lists page with $skip); the ids are decimal strings; the order is by id.
import { isIP } from 'node:net';
import type { FaceRequest, FaceResponse } from '../tenant/api';
import { type EndpointRoute, forbidden as mdeForbidden, mdeError } from './common';
import type { EndpointFaceEnv } from './index';
import type { EndpointStore } from './model';
import { type EntityModel, type Field, ODataError, evaluate, parseFilter, parseNonNegative, parseQueryString } from '../tenant/odata';
import { type Stamp, cmpStamp, isoStamp, parseStamp, stampOf } from '../tenant/model';

type Json = Record<string, unknown>;

export const INDICATOR_TYPES = ['FileSha1', 'FileMd5', 'CertificateThumbprint', 'FileSha256', 'IpAddress', 'DomainName', 'Url'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];
/** ti-indicator.md "The indicator action types supported by the API". */
export const INDICATOR_ACTIONS = ['Allowed', 'Audit', 'Block', 'BlockAndRemediate', 'Warn'] as const;
export type IndicatorAction = (typeof INDICATOR_ACTIONS)[number];
/** every member the metadata names (the legacy two included), for $filter */
const ACTION_MEMBERS = ['Warn', 'Block', 'Audit', 'Alert', 'AlertAndBlock', 'BlockAndRemediate', 'Allowed'];
export const INDICATOR_SEVERITIES = ['Informational', 'Low', 'Medium', 'High'] as const;
export type IndicatorSeverity = (typeof INDICATOR_SEVERITIES)[number];

export const MAX_ACTIVE_INDICATORS = 15_000;
export const INDICATOR_MAX_TOP = 10_000;
/** post-ti-indicator.md, get-ti-indicators-collection.md, delete-ti-indicator-by-id.md */
export const TI_ALL = 'Ti.ReadWrite.All';
export const TI_OWN = 'Ti.ReadWrite';

export interface Indicator {
  id: string;
  indicatorValue: string;
  indicatorType: IndicatorType;
  action: IndicatorAction;
  application: string | null;
  /** the creator's id (an app's client id, a user's UPN) and display name */
  createdBy: string;
  createdByDisplayName: string;
  sourceType: 'User' | 'AadApp';
  severity: IndicatorSeverity;
  category: string | null;
  title: string;
  description: string;
  recommendedActions: string | null;
  created: Stamp;
  expiration: Stamp | null;
  lastUpdate: Stamp;
  lastUpdatedBy: string | null;
  rbacGroupNames: string[];
  generateAlert: boolean;
  educateUrl: string | null;
  externalId: string | null;
}

/** What em.addIndicator takes: the POST body's fields (validated the same way), and who created it and when. */
export interface IndicatorInput {
  indicatorValue: string;
  indicatorType: string;
  action: string;
  title?: string;
  description?: string;
  severity?: string;
  application?: string;
  expirationTime?: string;
  recommendedActions?: string;
  rbacGroupNames?: string[] | string;
  generateAlert?: boolean;
  category?: string;
  educateUrl?: string;
  externalId?: string;
  /** default: a portal user, secop@contoso.com (sourceType User) */
  createdBy?: string;
  createdByDisplayName?: string;
  sourceType?: 'User' | 'AadApp';
  /** default: the service clock's now */
  creationTimeDateTimeUtc?: string;
}

/** The body names the API knows (post-ti-indicator.md, ti-indicator.md, and the undocumented ones of microsoft-365-docs#5890). */
const KNOWN_NAMES = ['indicatorValue', 'indicatorType', 'action', 'application', 'title', 'description', 'expirationTime', 'severity',
  'recommendedActions', 'rbacGroupNames', 'educateUrl', 'generateAlert', 'category', 'mitreTechniques', 'externalId', 'externalID',
  'bypassDurationHours', 'notificationId', 'notificationBody', 'version', 'historicalDetection', 'lookBackPeriod', 'additionalInfo', 'certificateInfo'];
const REQUIRED = ['indicatorValue', 'indicatorType', 'action', 'title', 'description'] as const;

class BodyError extends Error { constructor(readonly code: string, message: string, readonly status = 400) { super(message); } }

// ---- value validation
const HEX_LEN: Partial<Record<IndicatorType, number>> = { FileSha1: 40, FileMd5: 32, FileSha256: 64, CertificateThumbprint: 40 };
const DOMAIN_RE = /^(?=.{1,253}$)(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+(?!-)[A-Za-z0-9-]{2,63}(?<!-)$/;

/** Internal (not external) addresses: private, loopback, link-local, shared, multicast, reserved, unspecified. */
export function isInternalIp(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)
      || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
  }
  const x = ip.toLowerCase();
  if (x === '::' || x === '::1') return true;
  const first = parseInt(x.split(':')[0] || '0', 16);
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast; ::ffff:a.b.c.d mapped addresses by their IPv4
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(x);
  return mapped ? isInternalIp(mapped[1]) : false;
}

function validHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return DOMAIN_RE.test(h) || isIP(h) !== 0;
}

export function validUrl(v: string): boolean {
  if (v.length > 2048 || /\s/.test(v) || v.includes('\\')) return false;
  const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v);
  let u: URL;
  try { u = new URL(hasScheme ? v : `http://${v}`); } catch { return false; }
  return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && validHost(u.hostname);
}

/** Throws the API's error for a value its type refuses. */
export function checkValue(type: IndicatorType, value: string, action: IndicatorAction): void {
  const len = HEX_LEN[type];
  if (len !== undefined) {
    if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(value)) throw new BodyError('InvalidHashValue', `Hash value ${value} is invalid.`);
    return;
  }
  if (action === 'BlockAndRemediate') throw new BodyError('BadRequest', `The action BlockAndRemediate is not supported for network indicators (${type}); it is supported for file indicators.`);
  if (type === 'IpAddress') {
    if (value.includes('/')) throw new BodyError('InvalidIpAddress', `IP address ${value} is invalid. CIDR notation isn't supported: give a single IP address.`);
    if (isIP(value) === 0 || value.includes('%')) throw new BodyError('InvalidIpAddress', `IP address ${value} is invalid.`);
    if (isInternalIp(value)) throw new BodyError('InvalidIpAddress', `IP address ${value} is invalid. Only external IP addresses can be indicators.`);
    return;
  }
  if (type === 'DomainName') {
    if (!DOMAIN_RE.test(value)) throw new BodyError('InvalidDomainName', `Domain name ${value} is invalid.`);
    return;
  }
  if (!validUrl(value)) throw new BodyError('InvalidUrl', `URL ${value} is invalid.`);
}

// ---- the resource
export function indicatorJson(i: Indicator): Json {
  return {
    id: i.id,
    indicatorValue: i.indicatorValue,
    indicatorType: i.indicatorType,
    action: i.action,
    application: i.application,
    source: i.createdByDisplayName,
    sourceType: i.sourceType,
    createdBy: i.createdBy,
    createdByDisplayName: i.createdByDisplayName,
    createdBySource: i.createdByDisplayName,
    severity: i.severity,
    category: i.category,
    title: i.title,
    description: i.description,
    recommendedActions: i.recommendedActions,
    creationTimeDateTimeUtc: isoStamp(i.created),
    expirationTime: i.expiration ? isoStamp(i.expiration) : null,
    lastUpdateTime: isoStamp(i.lastUpdate),
    lastUpdatedBy: i.lastUpdatedBy,
    rbacGroupNames: [...i.rbacGroupNames],
    rbacGroupIds: i.rbacGroupNames.map(groupId),
    generateAlert: i.generateAlert,
    educateUrl: i.educateUrl,
    externalID: i.externalId,
  };
}

/** A stable id per device-group name (the emulator keeps no device groups of its own). */
function groupId(name: string): string {
  let h = 0;
  for (const c of name.toLowerCase()) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return String(100 + (h % 900_000));
}

export interface Author { id: string; displayName: string; sourceType: 'User' | 'AadApp' }

export type SubmitResult = { ok: true; indicator: Indicator; created: boolean } | { ok: false; status: number; code: string; message: string };

export class IndicatorStore {
  private readonly items: Indicator[] = [];
  /** value/type/action key -> indicators with it (one per author when an app can see only its own) */
  private readonly byKey = new Map<string, Indicator[]>();
  private nextId: number;

  constructor(seed: number) { this.nextId = 1000 + (seed % 1000) * 10; }

  private static key(type: IndicatorType, action: IndicatorAction, value: string): string {
    return `${type}|${action}|${type === 'Url' ? value : value.toLowerCase()}`;
  }

  private remove(k: number): void {
    const [ind] = this.items.splice(k, 1);
    const key = IndicatorStore.key(ind.indicatorType, ind.action, ind.indicatorValue);
    const list = (this.byKey.get(key) ?? []).filter((x) => x !== ind);
    if (list.length) this.byKey.set(key, list); else this.byKey.delete(key);
  }

  /** Drops the indicators whose expiration time has passed ("The indicator gets deleted if the expiration time passes"). */
  expire(now: Date): void {
    if (!this.items.some((i) => i.expiration !== null)) return;
    const t = stampOf(now);
    for (let k = this.items.length - 1; k >= 0; k--) {
      const e = this.items[k].expiration;
      if (e && cmpStamp(e, t) <= 0) this.remove(k);
    }
  }

  active(now: Date): Indicator[] { this.expire(now); return this.items; }

  byId(id: string, now: Date): Indicator | undefined { return this.active(now).find((i) => i.id === id); }

  delete(id: string, now: Date): boolean {
    this.expire(now);
    const k = this.items.findIndex((i) => i.id === id);
    if (k < 0) return false;
    this.remove(k);
    return true;
  }

  /**
   * POST /api/indicators with a parsed body: validates as the API does, then updates the indicator with the same value,
   * type and action (visible to the author: `own` limits to the author's indicators) or creates one.
   */
  submit(body: Json, author: Author, now: Date, options: { own?: boolean; created?: Date } = {}): SubmitResult {
    const own = options.own === true;
    try {
      const v = readBody(body, now);
      const active = this.active(now);
      const key = IndicatorStore.key(v.indicatorType, v.action, v.indicatorValue);
      const existing = (this.byKey.get(key) ?? []).find((i) => !own || i.createdBy === author.id);
      const t = stampOf(now);
      if (existing) {
        Object.assign(existing, {
          title: v.title, description: v.description, severity: v.severity ?? existing.severity, expiration: v.expiration,
          recommendedActions: v.recommendedActions ?? existing.recommendedActions, rbacGroupNames: v.rbacGroupNames ?? existing.rbacGroupNames,
          generateAlert: v.generateAlert ?? existing.generateAlert, category: v.category ?? existing.category, educateUrl: v.educateUrl ?? existing.educateUrl,
          externalId: v.externalId ?? existing.externalId, lastUpdate: t, lastUpdatedBy: author.displayName,
        });
        return { ok: true, indicator: existing, created: false };
      }
      if (active.length >= MAX_ACTIVE_INDICATORS) {
        throw new BodyError('BadRequest', `The tenant has reached the maximum of ${MAX_ACTIVE_INDICATORS} active indicators. Delete indicators before submitting new ones.`);
      }
      const created = options.created ? stampOf(options.created) : t;
      const ind: Indicator = {
        id: String(this.nextId++), indicatorValue: v.indicatorValue, indicatorType: v.indicatorType, action: v.action,
        application: v.application ?? null, createdBy: author.id, createdByDisplayName: author.displayName, sourceType: author.sourceType,
        severity: v.severity ?? 'Informational', category: v.category ?? null, title: v.title, description: v.description,
        recommendedActions: v.recommendedActions ?? null, created, expiration: v.expiration, lastUpdate: created, lastUpdatedBy: null,
        rbacGroupNames: v.rbacGroupNames ?? [], generateAlert: v.generateAlert ?? false, educateUrl: v.educateUrl ?? null, externalId: v.externalId ?? null,
      };
      this.items.push(ind);
      this.byKey.set(key, [...(this.byKey.get(key) ?? []), ind]);
      return { ok: true, indicator: ind, created: true };
    } catch (e) {
      if (e instanceof BodyError) return { ok: false, status: e.status, code: e.code, message: e.message };
      throw e;
    }
  }
}

/** em.addIndicator: the POST's validation, with the author and creation time a test chooses; throws the API's message. */
export function addIndicator(store: IndicatorStore, input: IndicatorInput, now: Date): Json {
  const { createdBy, createdByDisplayName, sourceType, creationTimeDateTimeUtc, ...rest } = input;
  const body: Json = { title: 'Added by a test', description: 'Added through the emulator test API.', ...rest };
  const author: Author = { id: createdBy ?? 'secop@contoso.com', displayName: createdByDisplayName ?? createdBy ?? 'secop@contoso.com', sourceType: sourceType ?? 'User' };
  let created: Date | undefined;
  if (creationTimeDateTimeUtc !== undefined) {
    const st = parseStamp(creationTimeDateTimeUtc);
    if (!st) throw new Error(`addIndicator: creationTimeDateTimeUtc '${creationTimeDateTimeUtc}' is not an ISO 8601 date-time with an offset.`);
    created = new Date(st.ms);
  }
  const r = store.submit(body, author, now, { created });
  if (!r.ok) throw new Error(`addIndicator: ${r.code}: ${r.message}`);
  return indicatorJson(r.indicator);
}

interface ValidBody {
  indicatorValue: string; indicatorType: IndicatorType; action: IndicatorAction; title: string; description: string;
  severity?: IndicatorSeverity; application?: string; expiration: Stamp | null; recommendedActions?: string; rbacGroupNames?: string[];
  generateAlert?: boolean; category?: string; educateUrl?: string; externalId?: string;
}

function readBody(body: Json, now: Date): ValidBody {
  const incorrect = (why: string): never => { throw new BodyError('InvalidRequestBody', `Request body is incorrect: ${why}`); };
  for (const k of Object.keys(body)) {
    if (KNOWN_NAMES.includes(k)) continue;
    const near = KNOWN_NAMES.find((n) => n.toLowerCase() === k.toLowerCase());
    // "The submitted body parameters are currently case-sensitive" (common-errors.md)
    if (near && !(REQUIRED as readonly string[]).includes(near)) incorrect(`'${k}' is not a parameter; parameter names are case-sensitive ('${near}').`);
  }
  for (const k of REQUIRED) {
    const v = body[k];
    if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) throw new BodyError('MissingRequiredParameter', `Parameter ${k} is missing.`);
  }
  const str = (k: string): string | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') incorrect(`'${k}' must be a string.`);
    return v as string;
  };
  const indicatorValue = str('indicatorValue') as string; // as given: a value with spaces fails its type's check
  const type = str('indicatorType') as string;
  if (!(INDICATOR_TYPES as readonly string[]).includes(type)) incorrect(`'${type}' is not a valid indicatorType (${INDICATOR_TYPES.join(', ')}).`);
  const indicatorType = type as IndicatorType;
  let actionText = str('action') as string;
  let generateAlert: boolean | undefined;
  const ga = body.generateAlert;
  if (ga !== undefined && ga !== null) {
    if (typeof ga === 'boolean') generateAlert = ga;
    else if (typeof ga === 'string' && /^(true|false)$/i.test(ga)) generateAlert = ga.toLowerCase() === 'true';
    else incorrect(`'generateAlert' must be True or False.`);
  }
  if (actionText === 'AlertAndBlock') { actionText = 'BlockAndRemediate'; generateAlert = true; } // as reported in defender-docs#504
  if (!(INDICATOR_ACTIONS as readonly string[]).includes(actionText)) {
    incorrect(`'${actionText}' is not a valid action. Possible values: ${INDICATOR_ACTIONS.join(', ')}.`);
  }
  const action = actionText as IndicatorAction;
  if (action === 'Audit' && generateAlert !== true) incorrect("the GenerateAlert parameter must be set to TRUE when creating an action with Audit.");
  checkValue(indicatorType, indicatorValue, action);
  const sev = str('severity');
  if (sev !== undefined && !(INDICATOR_SEVERITIES as readonly string[]).includes(sev)) incorrect(`'${sev}' is not a valid severity (${INDICATOR_SEVERITIES.join(', ')}).`);
  let expiration: Stamp | null = null;
  const exp = str('expirationTime');
  if (exp !== undefined) {
    const s = parseStamp(exp);
    if (!s) incorrect(`'${exp}' is not a valid expirationTime (an ISO 8601 date-time with an offset).`);
    if (cmpStamp(s as Stamp, stampOf(now)) <= 0) throw new BodyError('InvalidInput', `Invalid input expirationTime ${exp}: it is not in the future.`);
    expiration = s as Stamp;
  }
  let rbacGroupNames: string[] | undefined;
  const rg = body.rbacGroupNames;
  if (rg !== undefined && rg !== null) {
    // the page says "Comma-separated list", its example sends an array: both are read
    if (typeof rg === 'string') rbacGroupNames = rg.split(',').map((s) => s.trim()).filter((s) => s !== '');
    else if (Array.isArray(rg) && rg.every((x) => typeof x === 'string')) rbacGroupNames = (rg as string[]).map((s) => s.trim()).filter((s) => s !== '');
    else incorrect(`'rbacGroupNames' must be a list of device group names.`);
  }
  const educateUrl = str('educateUrl');
  if (educateUrl !== undefined && !validUrl(educateUrl)) throw new BodyError('InvalidUrl', `URL ${educateUrl} is invalid.`);
  return {
    indicatorValue, indicatorType, action, title: str('title') as string, description: str('description') as string,
    severity: sev as IndicatorSeverity | undefined, application: str('application'), expiration, recommendedActions: str('recommendedActions'),
    rbacGroupNames, generateAlert, category: str('category'), educateUrl, externalId: str('externalId') ?? str('externalID'),
  };
}

// ---- the face
const S = (name: keyof Indicator, alias?: string): Field<Indicator> => ({ name: alias ?? name, type: { kind: 'string' }, get: (i) => i[name] as string | null });
const E = (name: 'indicatorType' | 'action' | 'severity', members: readonly string[]): Field<Indicator> => ({
  name, type: { kind: 'enum', typeName: `Microsoft.Indicator.${name}`, members, caseInsensitive: false }, get: (i) => i[name],
});
const FIELDS: Field<Indicator>[] = [
  S('indicatorValue'), E('indicatorType', INDICATOR_TYPES), E('action', ACTION_MEMBERS), E('severity', INDICATOR_SEVERITIES),
  S('createdBy'), S('createdByDisplayName'), S('application'), S('title'),
  { name: 'creationTimeDateTimeUtc', type: { kind: 'datetime' }, get: (i) => i.created },
  { name: 'expirationTime', type: { kind: 'datetime' }, get: (i) => i.expiration },
];
export const INDICATOR_MODEL: EntityModel<Indicator> = {
  typeName: 'Indicator', filterable: FIELDS, caseInsensitiveNames: true,
  declared: ['id', 'indicatorValue', 'indicatorType', 'action', 'application', 'source', 'sourceType', 'createdBy', 'createdByDisplayName', 'createdBySource',
    'severity', 'category', 'title', 'description', 'recommendedActions', 'creationTimeDateTimeUtc', 'expirationTime', 'lastUpdateTime', 'lastUpdatedBy',
    'rbacGroupNames', 'rbacGroupIds', 'generateAlert', 'educateUrl', 'externalID'],
};

const TI_ROLES = [TI_OWN, TI_ALL];
function forbidden(req: FaceRequest): FaceResponse | undefined {
  if (TI_ROLES.some((r) => req.caller.roles.has(r))) return undefined;
  return mdeForbidden(TI_ROLES, req.caller.roles); // the MDE face's 403 (endpoint/common.ts)
}

/** The caller as the store records it: an app (its client id, display name). */
function authorOf(req: FaceRequest): Author {
  return { id: req.caller.clientId, displayName: req.caller.appDisplayName, sourceType: 'AadApp' };
}

/** Answers `/api/indicators` and `/api/indicators/{id}`; undefined for any other path (the caller's router goes on). */
export function indicatorsFace(store: IndicatorStore, req: FaceRequest): FaceResponse | undefined {
  const seg = req.path.split('/').filter((s) => s !== '');
  if (seg.length < 2 || seg[0].toLowerCase() !== 'api' || seg[1].toLowerCase() !== 'indicators' || seg.length > 3) return undefined;
  const method = req.method.toUpperCase();
  const f = forbidden(req); if (f) return f;
  const own = !req.caller.roles.has(TI_ALL);
  const visible = (i: Indicator): boolean => !own || i.createdBy === req.caller.clientId;
  if (seg.length === 2) {
    if (method === 'GET') return list(store, req, visible);
    if (method === 'POST') {
      let body: unknown;
      try { body = req.rawBody.trim() === '' ? undefined : JSON.parse(req.rawBody); } catch { body = undefined; }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) return mdeError(400, 'InvalidRequestBody', 'Request body is incorrect');
      const r = store.submit(body as Json, authorOf(req), req.now, { own });
      if (!r.ok) return mdeError(r.status, r.code, r.message);
      return { status: 200, body: { '@odata.context': `${req.origin}/api/$metadata#Indicators/$entity`, ...indicatorJson(r.indicator) } };
    }
    return mdeError(405, 'BadRequest', `The requested resource does not support http method '${method}'.`);
  }
  let id = seg[2];
  try { id = decodeURIComponent(id); } catch { /* keep */ }
  if (method === 'DELETE') {
    const ind = store.byId(id, req.now);
    if (!ind || !visible(ind)) return mdeError(404, 'ResourceNotFound', `Indicator ${id} was not found.`);
    store.delete(id, req.now);
    return { status: 204 };
  }
  return mdeError(405, 'BadRequest', `The requested resource does not support http method '${method}'.`);
}

function list(store: IndicatorStore, req: FaceRequest, visible: (i: Indicator) => boolean): FaceResponse {
  try {
    const q = parseQueryString(req.rawQuery);
    for (const k of q.keys()) {
      if (k.startsWith('$') && !['$filter', '$top', '$skip'].includes(k)) {
        throw new ODataError(`Query option '${k.slice(1)}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.`, 'option');
      }
    }
    const top = q.has('$top') ? parseNonNegative('$top', q.get('$top') as string) : undefined;
    if (top !== undefined && top > INDICATOR_MAX_TOP) {
      throw new ODataError(`The limit of '${INDICATOR_MAX_TOP}' for Top query has been exceeded. The value from the incoming request is '${top}'.`, 'option');
    }
    const skip = q.has('$skip') ? parseNonNegative('$skip', q.get('$skip') as string) : 0;
    const text = q.get('$filter');
    const pred = text !== undefined && text.trim() !== '' ? parseFilter(text, INDICATOR_MODEL) : undefined;
    const matched = store.active(req.now).filter((i) => visible(i) && (!pred || evaluate(pred, i)));
    matched.sort((a, b) => Number(a.id) - Number(b.id));
    const page = matched.slice(skip, skip + (top ?? INDICATOR_MAX_TOP));
    return { status: 200, body: { '@odata.context': `${req.origin}/api/$metadata#Indicators`, value: page.map(indicatorJson) } };
  } catch (e) {
    if (e instanceof ODataError) return mdeError(400, 'ODataError', `Invalid OData query: ${e.message}`);
    throw e;
  }
}

/**
 * A few indicators a tenant already holds (added in the portal by secop@contoso.com), from the seeded entities: one of
 * each kind the actions handle, so a list has something to find before anything is submitted.
 */
export function seedIndicators(store: IndicatorStore, entities: { files: Array<{ sha1: string; sha256: string; md5: string }>; urls: string[]; ips: string[] }, now: Date): void {
  const user: Author = { id: 'secop@contoso.com', displayName: 'secop@contoso.com', sourceType: 'User' };
  const day = 86_400_000;
  const at = (daysAgo: number): Date => new Date(now.getTime() - daysAgo * day);
  const external = entities.ips.find((ip) => isIP(ip) === 4 && !isInternalIp(ip)) ?? '203.0.113.10';
  const file = entities.files[0] ?? { sha1: 'a'.repeat(40), sha256: 'b'.repeat(64), md5: 'c'.repeat(32) };
  const url = entities.urls.find(validUrl) ?? 'https://fabrikam.biz/login';
  const host = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`).hostname.toLowerCase();
  const seeds: Array<Json & { at: Date }> = [
    { indicatorValue: file.sha256, indicatorType: 'FileSha256', action: 'BlockAndRemediate', title: 'Known ransomware payload', description: 'From a past incident.', severity: 'High', generateAlert: true, at: at(20) },
    { indicatorValue: file.sha1, indicatorType: 'FileSha1', action: 'Audit', title: 'Watch this tool', description: 'Dual-use tool.', severity: 'Low', generateAlert: true, at: at(12) },
    { indicatorValue: external, indicatorType: 'IpAddress', action: 'Block', title: 'C2 server', description: 'Seen in beaconing.', severity: 'Medium', at: at(9) },
    { indicatorValue: url, indicatorType: 'Url', action: 'Warn', title: 'Phishing landing page', description: 'Reported by users.', severity: 'Medium', at: at(5) },
    { indicatorValue: host, indicatorType: 'DomainName', action: 'Allowed', title: 'Partner domain', description: 'Sanctioned partner.', severity: 'Informational', rbacGroupNames: ['Finance', 'HR'], at: at(2) },
  ];
  for (const { at: created, ...body } of seeds) {
    const r = store.submit(body, user, now, { created });
    if (!r.ok) throw new Error(`internal: a seeded indicator was refused: ${r.message}`);
  }
}

// ---- plugged into the MDE face (endpoint/index.ts FACES): one store per built tenant, kept beside the machines' store
const STORES = new WeakMap<EndpointStore, IndicatorStore>();

/** The indicators of the MDE face built around `store` (the test API reads them here). */
export function indicatorStoreOf(store: EndpointStore): IndicatorStore {
  const s = STORES.get(store);
  if (!s) throw new Error('internal: this endpoint face has no indicators');
  return s;
}

/** The routes of /api/indicators for the MDE face: the face checks the roles (Ti.ReadWrite or Ti.ReadWrite.All) first. */
export function indicatorRoutes(env: EndpointFaceEnv): EndpointRoute[] {
  const store = new IndicatorStore(env.seed);
  if (env.entities) seedIndicators(store, env.entities, env.now);
  STORES.set(env.store, store);
  const handle = (ctx: { req: FaceRequest }): FaceResponse => indicatorsFace(store, ctx.req) ?? mdeError(404, 'NotFound', `No route matches ${ctx.req.method} ${ctx.req.path}`);
  return [
    { method: 'GET', pattern: /^\/api\/indicators\/?$/i, roles: TI_ROLES, handle },
    { method: 'POST', pattern: /^\/api\/indicators\/?$/i, roles: TI_ROLES, handle },
    { method: 'DELETE', pattern: /^\/api\/indicators\/[^/]+\/?$/i, roles: TI_ROLES, handle },
  ];
}
