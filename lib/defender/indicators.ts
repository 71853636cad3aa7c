// Custom indicators on the Defender for Endpoint API (issue 16): `POST/GET/DELETE /api/indicators`, permission
// Ti.ReadWrite.All (surfaces.ts: the 'indicators' resource on the endpoint surface, whatever the configured family).
//
// Microsoft's pages (MicrosoftDocs/defender-docs, defender-endpoint/):
// - api/post-ti-indicator.md: "Submits or Updates new Indicator entity. CIDR notation for IPs isn't supported."; body
//   indicatorValue, indicatorType (FileSha1, FileMd5, CertificateThumbprint, FileSha256, IpAddress, DomainName, Url),
//   action, title and description (required), expirationTime, severity (Informational, Low, Medium, High),
//   rbacGroupNames, generateAlert ("must be set to TRUE when creating an action with Audit"); 200 and the created /
//   updated indicator. 15,000 active indicators per tenant. The table calls rbacGroupNames a "comma-separated list"
//   String, the page's example sends a list of strings (["group1", "group2"]) and the resource page (ti-indicator.md)
//   types it "List of strings": we send a list.
// - api/ti-indicator.md: the current action types are Allowed, Audit, Block, BlockAndRemediate, Warn; "The prior response
//   actions (AlertAndBlock, and Alert) will be supported until January 2022": refused here, naming what to use instead.
// - indicator-ip-domain.md ("Indicator list limitations"): "Only external IPs can be added to the indicator list;
//   indicators can't be created for internal IPs", and "Only single IP addresses are supported (no CIDR blocks or IP
//   ranges)". Internal here: the private, loopback, link-local, shared (100.64.0.0/10), unspecified, multicast and
//   reserved ranges of IPv4 and IPv6 (RFC 6890's special-purpose registries, less the documentation ranges, which are
//   not internal).
// - api/get-ti-indicators-collection.md: $filter on application, createdByDisplayName, expirationTime, generateAlert,
//   title, rbacGroupNames, rbacGroupIds, indicatorValue, indicatorType, creationTimeDateTimeUtc, createdBy, action,
//   severity; $top at most 10,000; $skip. Lists are read with $top/$skip (Defender for Endpoint lists are reported not
//   to give an @odata.nextLink with $top: MicrosoftDocs/microsoft-365-docs #8489), bounded by PageGuard.
// - api/delete-ti-indicator-by-id.md: `DELETE /api/indicators/{id}`: 204, or 404 when it is not there.

import { BlockList, isIP } from 'node:net';
import { ActionError, invalidInput } from '../runtime/errors';
import { textProblem, splitList } from '../runtime/text';
import { expectObject, kindOf, listPage, shapeError, type Answered, type JsonObject } from '../runtime/shape';
import type { Entity } from '../runtime/entities';
import type { EntityOutcome } from '../generated/contract.types';
import { isStopped, isUnknownOutcome, failedAfter, NOT_STARTED, RUN_STOPPING_CODES, type DefenderApi } from './api';
import { odataDateTime, odataString, queryString } from './odata';
import { PageGuard } from './pages';
import { parseTimeInput, parseTimeRange, TIME_FORMS } from './time';

export const INDICATOR_TYPES = ['FileSha1', 'FileMd5', 'CertificateThumbprint', 'FileSha256', 'IpAddress', 'DomainName', 'Url'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/** ti-indicator.md's current action types. */
export const INDICATOR_ACTIONS = ['Block', 'BlockAndRemediate', 'Audit', 'Warn', 'Allowed'] as const;
export type IndicatorAction = (typeof INDICATOR_ACTIONS)[number];
/** what Microsoft's lists may still hold (List Indicators filters on these too) */
export const LISTED_ACTIONS = [...INDICATOR_ACTIONS, 'Alert', 'AlertAndBlock'] as const;

export const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'] as const;
export type IndicatorSeverity = (typeof SEVERITIES)[number];

const byLower = <T extends string>(values: readonly T[]): ReadonlyMap<string, T> => new Map(values.map((v) => [v.toLowerCase(), v]));
const ACTIONS = byLower(INDICATOR_ACTIONS);
const ALL_ACTIONS = byLower(LISTED_ACTIONS);
const TYPES = byLower(INDICATOR_TYPES);
const SEVERITY = byLower(SEVERITIES);

const shown = (v: string): string => JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v);

// ---------------------------------------------------------------- values

/** A value, its indicator type, or why it cannot be one. */
export type Detected = { value: string; type: IndicatorType } | { problem: string };

const HEX = /^[0-9a-fA-F]+$/;
const HASH_TYPES: Readonly<Record<number, IndicatorType>> = { 32: 'FileMd5', 40: 'FileSha1', 64: 'FileSha256' };

/** A file hash: its type by length (32 hex digits MD5, 40 SHA-1, 64 SHA-256). */
export function detectFileHash(raw: string): Detected {
  const v = raw.trim();
  if (!HEX.test(v)) return { problem: `${shown(v)} is not a file hash: a hash is hexadecimal digits only (32 for MD5, 40 for SHA-1, 64 for SHA-256)` };
  const type = HASH_TYPES[v.length];
  if (!type) return { problem: `${shown(v)} is ${v.length} hexadecimal digits, which is no hash Microsoft takes as an indicator: 32 (MD5), 40 (SHA-1) or 64 (SHA-256)` };
  return { value: v, type };
}

// Internal and special-purpose ranges (RFC 6890 registries; not the documentation ranges, which are not internal)
const INTERNAL = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b:1::', 48], ['100::', 64]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}
const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An IP address indicator: one external address (no CIDR, no range, no internal address). */
export function detectIpAddress(raw: string): Detected {
  const v = raw.trim();
  if (v.includes('/')) return { problem: `${shown(v)} is a CIDR range; Microsoft takes single IP addresses only ("CIDR notation for IPs isn't supported", post-ti-indicator.md)` };
  if (/^[\d.]+-[\d.]+$/.test(v)) return { problem: `${shown(v)} is a range of addresses; Microsoft takes single IP addresses only` };
  const family = isIP(v);
  if (family === 0) return { problem: `${shown(v)} is not an IP address (IPv4 as 203.0.113.7 without leading zeros, or IPv6)` };
  const mapped = family === 6 ? MAPPED.exec(v) : null;
  const internal = mapped ? INTERNAL.check(mapped[1]!, 'ipv4') : INTERNAL.check(v, family === 4 ? 'ipv4' : 'ipv6');
  if (internal) return { problem: `${shown(v)} is an internal or reserved address; Microsoft creates indicators for external IPs only ("indicators can't be created for internal IPs", indicator-ip-domain.md)` };
  return { value: v, type: 'IpAddress' };
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/i;

const domainProblem = (host: string): string | undefined => {
  if (host.length > 253) return 'is longer than 253 characters';
  const labels = host.split('.');
  if (labels.length < 2) return 'has no top-level domain (e.g. contoso.com)';
  if (labels.some((l) => !LABEL.test(l))) return 'has a label that is not 1 to 63 letters, digits or hyphens (not starting or ending with a hyphen)';
  if (!TLD.test(labels[labels.length - 1]!)) return 'does not end in a top-level domain of letters';
  return undefined;
};

/** A domain name indicator: a fully qualified name, such as malicious.contoso.com (no scheme, path or wildcard). */
export function detectDomain(raw: string): Detected {
  const v = raw.trim().replace(/\.$/, '');
  if (/[/:\s*@]/.test(v)) return { problem: `${shown(v)} is not a domain name: give the name alone (e.g. malicious.contoso.com), without scheme, port, path, wildcard or spaces` };
  const problem = domainProblem(v);
  return problem ? { problem: `${shown(v)} is not a domain name: it ${problem}` } : { value: v, type: 'DomainName' };
}

/** The longest URL taken (Microsoft documents none; browsers and Graph work to about 2,048). */
export const MAX_URL = 2048;

/** A URL indicator: http(s), with a host that is a domain name or an external IP; the scheme may be left out. */
export function detectUrl(raw: string): Detected {
  const v = raw.trim();
  if (v.length > MAX_URL) return { problem: `${shown(v)} is longer than ${MAX_URL} characters` };
  if (/\s/.test(v)) return { problem: `${shown(v)} is not a URL: it contains spaces` };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (scheme && !/^https?$/i.test(scheme[1]!)) return { problem: `${shown(v)} is a ${scheme[1]} URL; Microsoft's URL indicators are web addresses (http or https)` };
  let url: URL;
  try {
    url = new URL(scheme ? v : `http://${v}`);
  } catch {
    return { problem: `${shown(v)} is not a URL (e.g. https://malicious.contoso.com/path)` };
  }
  if (url.username || url.password) return { problem: `${shown(v)} holds a user name or password; give the URL without them` };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const ip = detectIpAddress(host);
    if ('problem' in ip) return { problem: `${shown(v)} is on ${ip.problem}` };
  } else {
    const problem = domainProblem(host);
    if (problem) return { problem: `${shown(v)} is not a URL Microsoft can match: its host ${problem}` };
  }
  return { value: v, type: 'Url' };
}

/** A certificate thumbprint indicator: the SHA-1 thumbprint, 40 hexadecimal digits. */
export function detectThumbprint(raw: string): Detected {
  const v = raw.trim().replace(/[:\s]/g, '');
  if (!HEX.test(v) || v.length !== 40) return { problem: `${shown(raw.trim())} is not a certificate thumbprint: give its SHA-1 thumbprint, 40 hexadecimal digits` };
  return { value: v, type: 'CertificateThumbprint' };
}

/** The indicator an entity of the case makes: FILEHASH, ADDRESS or DestinationURL. */
export function detectEntity(entityType: 'FILEHASH' | 'ADDRESS' | 'DestinationURL', identifier: string): Detected {
  switch (entityType) {
    case 'FILEHASH':
      return detectFileHash(identifier);
    case 'ADDRESS':
      return detectIpAddress(identifier);
    case 'DestinationURL':
      return detectUrl(identifier);
  }
}

/** A list parameter of values of one kind (domains, certificate_thumbprints): each checked, all problems at once. */
export function parseValueList(value: string | undefined, param: string, detect: (raw: string) => Detected): Array<{ value: string; type: IndicatorType }> {
  const out: Array<{ value: string; type: IndicatorType }> = [];
  const problems: string[] = [];
  for (const piece of splitList(value)) {
    const d = detect(piece);
    if ('problem' in d) problems.push(d.problem);
    else out.push(d);
  }
  if (problems.length) throw invalidInput(`Parameter '${param}': ${problems.join('; ')}. Nothing was sent.`);
  return out;
}

// ---------------------------------------------------------------- the other parameters

/** The `action` parameter: one of Microsoft's current actions, any case; the legacy ones refused saying what to use. */
export function parseIndicatorAction(raw: string, param = 'action'): IndicatorAction {
  const v = raw.trim();
  const lower = v.toLowerCase();
  if (lower === 'alert') throw invalidInput(`Parameter '${param}' is Alert, a legacy action Microsoft supported only until January 2022 (ti-indicator.md); use Audit with generate_alert true.`);
  if (lower === 'alertandblock') throw invalidInput(`Parameter '${param}' is AlertAndBlock, a legacy action Microsoft supported only until January 2022 (ti-indicator.md); use Block (or BlockAndRemediate) with generate_alert true.`);
  const a = ACTIONS.get(lower);
  if (!a) throw invalidInput(`Parameter '${param}' is ${shown(v)}; valid: ${INDICATOR_ACTIONS.join(', ')} (any case).`);
  return a;
}

export function parseSeverity(raw: string, param = 'severity'): IndicatorSeverity {
  const s = SEVERITY.get(raw.trim().toLowerCase());
  if (!s) throw invalidInput(`Parameter '${param}' is ${shown(raw.trim())}; valid: ${SEVERITIES.join(', ')} (any case).`);
  return s;
}

export function parseIndicatorType(raw: string, param = 'indicator_type'): IndicatorType {
  const t = TYPES.get(raw.trim().toLowerCase());
  if (!t) throw invalidInput(`Parameter '${param}' is ${shown(raw.trim())}; valid: ${INDICATOR_TYPES.join(', ')} (any case).`);
  return t;
}

export function parseListedAction(raw: string, param = 'action'): string {
  const a = ALL_ACTIONS.get(raw.trim().toLowerCase());
  if (!a) throw invalidInput(`Parameter '${param}' is ${shown(raw.trim())}; valid: ${LISTED_ACTIONS.join(', ')} (any case).`);
  return a;
}

const RELATIVE_AHEAD = /^\d+\s*[a-z]+$/i;
export const EXPIRATION_FORMS = `a span from now (30d, 12h, 2w, 90 minutes) or ${TIME_FORMS.replace(/, or a span back from now.*$/, '')}`;

/**
 * The expiration: a span from now ("30d", "12h", "2 weeks") or an absolute instant (ISO 8601 with a zone, or a date);
 * never in the past; whole seconds (any fraction dropped). The spans are lib/defender/time.ts's (which counts them back from now; here they count ahead).
 */
export function parseExpiration(raw: string, now: Date, param = 'expiration'): Date {
  const v = raw.trim();
  if (/\bago$/i.test(v)) throw invalidInput(`Parameter '${param}' is ${shown(v)}, a time in the past; an expiration is ${EXPIRATION_FORMS}.`);
  let at: Date;
  try {
    at = RELATIVE_AHEAD.test(v) ? new Date(2 * now.getTime() - parseTimeInput(v, param, now).getTime()) : parseTimeInput(v, param, now);
  } catch (err) {
    if (err instanceof ActionError) throw invalidInput(`Parameter '${param}' is ${shown(v)}, which is not ${EXPIRATION_FORMS}.`);
    throw err;
  }
  // whole seconds, as Microsoft's examples write it (post-ti-indicator.md: "expirationTime": "2020-12-12T00:00:00Z"): the
  // lookup after an unknown outcome compares what Microsoft stored with what was sent
  at = new Date(Math.floor(at.getTime() / 1000) * 1000);
  if (at.getTime() <= now.getTime()) throw invalidInput(`Parameter '${param}' is ${shown(v)} (${at.toISOString()}), which is not in the future; an indicator's expiration must be after now (${now.toISOString()}).`);
  if (at.getUTCFullYear() > 9999) throw invalidInput(`Parameter '${param}' is ${shown(v)}, beyond the year 9999.`);
  return at;
}

/** RBAC device group names: a comma- or newline-separated list, each a text Microsoft can take. */
export function parseGroupNames(raw: string | undefined, param = 'rbac_group_names'): string[] {
  const names = splitList(raw);
  const bad = names.filter((n) => n.length > 256 || textProblem(n) !== undefined);
  if (bad.length) throw invalidInput(`Parameter '${param}' has ${bad.length} group name${bad.length === 1 ? '' : 's'} longer than 256 characters or with control characters; give device group names as the Defender portal shows them, separated by commas.`);
  return [...new Set(names)];
}

export interface SubmitSettings {
  action: IndicatorAction;
  title: string;
  description: string;
  severity?: IndicatorSeverity;
  expirationTime?: string;
  generateAlert: boolean;
  rbacGroupNames: string[];
}

/** The settings every submitted indicator gets, checked together (Audit requires generate_alert true). */
export function parseSubmitSettings(p: { action: string; title?: string; description?: string; severity?: string; expiration?: string; generate_alert?: boolean; rbac_group_names?: string }, now: Date, caseId: string): SubmitSettings {
  const action = parseIndicatorAction(p.action);
  const generateAlert = p.generate_alert === true;
  if (action === 'Audit' && !generateAlert) throw invalidInput("Parameter 'generate_alert' must be true with action Audit: Microsoft requires generateAlert TRUE for Audit indicators (post-ti-indicator.md).");
  const title = p.title?.trim() || `Indicator from case ${caseId}`;
  const description = p.description?.trim() || `Submitted by the SOAR playbook of case ${caseId}.`;
  return {
    action,
    title,
    description,
    ...(p.severity?.trim() ? { severity: parseSeverity(p.severity) } : {}),
    ...(p.expiration?.trim() ? { expirationTime: (odataDateTime(parseExpiration(p.expiration, now)) as string).replace(/\.000Z$/, 'Z') } : {}),
    generateAlert,
    rbacGroupNames: parseGroupNames(p.rbac_group_names),
  };
}

/** The POST body for one value (body parameters are case-sensitive: common-errors.md). */
export function indicatorBody(value: string, type: IndicatorType, s: SubmitSettings): JsonObject {
  return {
    indicatorValue: value,
    indicatorType: type,
    action: s.action,
    title: s.title,
    description: s.description,
    ...(s.severity ? { severity: s.severity } : {}),
    ...(s.expirationTime ? { expirationTime: s.expirationTime } : {}),
    generateAlert: s.generateAlert,
    ...(s.rbacGroupNames.length ? { rbacGroupNames: s.rbacGroupNames } : {}),
  };
}

// ---------------------------------------------------------------- indicators as read

/** Microsoft's indicator object as it came (id, indicatorValue and indicatorType checked) */
export type RawIndicator = JsonObject & { id: string; indicatorValue: string; indicatorType: string };

export interface Indicator {
  id: string;
  indicatorValue: string;
  indicatorType: string;
  raw: RawIndicator;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const INDICATOR = 'an indicator (a JSON object with id, indicatorValue and indicatorType)';

/** An indicator from Microsoft's answer, checked for its shape (ti-indicator.md: the id is a String, e.g. "995"). */
export function indicatorFrom(answer: unknown, at: Answered): Indicator {
  const o = expectObject(answer, at, INDICATOR);
  const id = o['id'];
  if (typeof id !== 'string' || !ID.test(id)) throw shapeError(at, `an indicator whose 'id' is ${typeof id === 'string' ? 'not an identifier' : kindOf(id)}`, INDICATOR);
  for (const key of ['indicatorValue', 'indicatorType']) {
    if (typeof o[key] !== 'string') throw shapeError(at, `an indicator whose '${key}' is ${kindOf(o[key])}`, INDICATOR);
  }
  return { id, indicatorValue: o['indicatorValue'] as string, indicatorType: o['indicatorType'] as string, raw: o as RawIndicator };
}

/** Whether an indicator already is as a body asks (the fields the body sets; group names in any order). */
export function sameAsAsked(current: JsonObject, body: JsonObject): boolean {
  for (const [key, want] of Object.entries(body)) {
    const have = current[key];
    if (key === 'rbacGroupNames') {
      const h = Array.isArray(have) ? [...(have as unknown[])].map(String).sort() : [];
      if (JSON.stringify(h) !== JSON.stringify([...(want as string[])].sort())) return false;
    } else if (key === 'expirationTime') {
      if (typeof have !== 'string' || Date.parse(have) !== Date.parse(want as string)) return false;
    } else if (typeof want === 'string' && typeof have === 'string') {
      if (key === 'indicatorValue' ? have.toLowerCase() !== want.toLowerCase() : have !== want) return false;
    } else if (have !== want) return false;
  }
  // a body without groups asks for all devices: an indicator scoped to groups is not as asked
  if (!('rbacGroupNames' in body) && Array.isArray(current['rbacGroupNames']) && (current['rbacGroupNames'] as unknown[]).length > 0) return false;
  return true;
}

const COLLECTION = '/api/indicators';
/** a page of a list: Microsoft's largest $top */
export const MAX_TOP = 10_000;

/** The indicators with this value (and type), any case of a hash. */
export async function findIndicators(api: DefenderApi, value: string, type?: IndicatorType): Promise<Indicator[]> {
  const filter = type ? `indicatorValue eq ${odataString(value, 'indicator value')} and indicatorType eq ${odataString(type)}` : `indicatorValue eq ${odataString(value, 'indicator value')}`;
  return listIndicators(api, filter, 100, `looking up indicator ${value}`).then((r) => r.indicators);
}

/**
 * The indicators a $filter selects, at most `max`, in pages of $top/$skip, bounded (PageGuard): a page already asked
 * for, an empty page where more were promised, or more pages than the maximum needs, stop the loop as API_ERROR.
 */
export async function listIndicators(api: DefenderApi, filter: string | undefined, max: number, label = 'listing indicators'): Promise<{ indicators: Indicator[]; more: boolean }> {
  const at: Answered = { api: api.name, label };
  const top = Math.min(max + 1, MAX_TOP);
  const guard = new PageGuard(at, Math.ceil((max + 1) / top) + 1);
  const out: Indicator[] = [];
  for (let skip = 0; ; skip += top) {
    guard.count();
    const path = `${COLLECTION}?${queryString({ $filter: filter, $top: top, $skip: skip || undefined })}`;
    guard.unseen(path, 'the same page again');
    const page = listPage(await api.call({ method: 'GET', path, label, capability: 'indicators' }), at);
    for (const item of page.value) out.push(indicatorFrom(item, at));
    if (out.length > max) return { indicators: out.slice(0, max), more: true };
    if (page.value.length < top) return { indicators: out, more: false };
  }
}

/** POSTs one indicator (never repeated: it may have been applied); Microsoft answers with the indicator. */
export async function submitIndicator(api: DefenderApi, body: JsonObject): Promise<Indicator> {
  const label = `submitting indicator ${String(body['indicatorValue'])}`;
  const answer = await api.call({
    method: 'POST',
    path: COLLECTION,
    body,
    label,
    capability: 'indicators',
    idempotent: false,
    unknownOutcome: `The indicator ${String(body['indicatorValue'])} may have been submitted: it was not sent again.`,
  });
  return indicatorFrom(answer, { api: api.name, label });
}

/** DELETEs one indicator by id: true when deleted, false when Microsoft has none with that id (404). */
export async function deleteIndicator(api: DefenderApi, id: string): Promise<boolean> {
  if (!ID.test(id)) throw invalidInput(`Indicator id ${shown(id)} is not an identifier (letters, digits, '.', '_', '-').`);
  try {
    await api.call({ method: 'DELETE', path: `${COLLECTION}/${encodeURIComponent(id)}`, label: `deleting indicator ${id}`, capability: 'indicators' });
    return true;
  } catch (err) {
    if (err instanceof ActionError && err.code === 'NOT_FOUND') return false;
    throw err;
  }
}

/** Checks an indicator id given as a parameter. */
export function checkIndicatorId(id: string, param = 'indicator_ids'): string {
  const v = id.trim();
  if (!ID.test(v)) throw invalidInput(`Parameter '${param}' holds ${shown(v)}, which is not an indicator id (e.g. 995: letters, digits, '.', '_', '-').`);
  return v;
}

/** The $filter of List Indicators from its parameters (each value quoted by odata.ts). */
export function listFilter(p: { indicator_value?: string; indicator_type?: string; action?: string; created_by?: string; created_from?: string; created_to?: string }, now: Date): string | undefined {
  const parts: string[] = [];
  if (p.indicator_value?.trim()) parts.push(`indicatorValue eq ${odataString(p.indicator_value.trim(), 'indicator_value')}`);
  if (p.indicator_type?.trim()) parts.push(`indicatorType eq ${odataString(parseIndicatorType(p.indicator_type))}`);
  if (p.action?.trim()) parts.push(`action eq ${odataString(parseListedAction(p.action))}`);
  if (p.created_by?.trim()) parts.push(`createdBy eq ${odataString(p.created_by.trim(), 'created_by')}`);
  const range = parseTimeRange(p.created_from?.trim() || undefined, p.created_to?.trim() || undefined, ['created_from', 'created_to'], now);
  if (range.from) parts.push(`creationTimeDateTimeUtc ge ${odataDateTime(range.from)}`);
  if (range.to) parts.push(`creationTimeDateTimeUtc le ${odataDateTime(range.to)}`);
  return parts.length ? parts.join(' and ') : undefined;
}

// ---------------------------------------------------------------- the runs of the three actions

// a failure in RUN_STOPPING_CODES (api.ts) fails the run, saying what had been done before
const fatal = (err: unknown, done: string[]): ActionError | undefined => {
  if (!(err instanceof ActionError)) return undefined;
  if (!RUN_STOPPING_CODES.has(err.code)) return undefined;
  return failedAfter(err, done);
};

const NETWORK_TYPES: ReadonlySet<IndicatorType> = new Set(['IpAddress', 'DomainName', 'Url']);

export const SUBMIT_ENTITY_TYPES = ['FILEHASH', 'ADDRESS', 'DestinationURL'] as const;

export interface SubmitRow {
  value: string;
  indicator_type: IndicatorType | null;
  source: 'entity' | 'domains' | 'certificate_thumbprints';
  entity_type: string | null;
  status: EntityOutcome['status'];
  outcome: 'created' | 'updated' | 'unchanged' | null;
  message: string;
  /** the indicator as Microsoft answered (or read, when nothing had to change) */
  indicator: RawIndicator | null;
  /** the indicator as it was before, when one with this value and type existed */
  previous: RawIndicator | null;
}

export interface SubmitParams {
  action: string;
  title?: string;
  description?: string;
  severity?: string;
  expiration?: string;
  generate_alert?: boolean;
  domains?: string;
  certificate_thumbprints?: string;
  rbac_group_names?: string;
}

/**
 * Submit Indicators: the settings and the parameter values checked first (a bad one refuses the run: exit 2, nothing
 * sent), each entity's value typed (a bad one is reported, nothing sent for it), then per value one lookup and, unless
 * the indicator already is as asked, one POST (never repeated; after an unknown outcome a lookup tells whether it landed).
 */
export async function submitIndicators(input: { api: DefenderApi; entities: readonly Entity[]; params: SubmitParams; now: Date; caseId: string; signal?: AbortSignal }): Promise<{ rows: SubmitRow[]; entities: EntityOutcome[] }> {
  const { api, params, signal } = input;
  const settings = parseSubmitSettings(params, input.now, input.caseId);
  if (settings.action === 'BlockAndRemediate' && splitList(params.domains).length) throw invalidInput("Parameter 'domains' cannot take action BlockAndRemediate: network indicators (domains, IP addresses, URLs) do not support it (indicator-manage.md); use Block, or submit the domains in another run.");
  const domains = parseValueList(params.domains, 'domains', detectDomain);
  const thumbprints = parseValueList(params.certificate_thumbprints, 'certificate_thumbprints', detectThumbprint);
  const rows: SubmitRow[] = [];
  const todo: Array<{ row: SubmitRow; type: IndicatorType }> = [];
  const seen = new Set<string>();
  const network = (d: Detected): Detected =>
    settings.action === 'BlockAndRemediate' && !('problem' in d) && NETWORK_TYPES.has(d.type)
      ? { problem: `${shown(d.value)} is a ${d.type} indicator, and BlockAndRemediate is for files and certificates ("Network indicators do not support the action type, BlockAndRemediate", indicator-manage.md); use Block` }
      : d;
  const add = (value: string, source: SubmitRow['source'], entityType: string | null, given: Detected) => {
    const d = network(given);
    const row: SubmitRow = { value, indicator_type: 'problem' in d ? null : d.type, source, entity_type: entityType, status: 'failed', outcome: null, message: '', indicator: null, previous: null };
    if ('problem' in d) {
      row.message = `${d.problem}; nothing was sent for it.`;
      rows.push(row);
      return;
    }
    const key = `${d.type}\u0000${d.value.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    row.value = d.value;
    rows.push(row);
    todo.push({ row, type: d.type });
  };
  for (const e of input.entities) add(e.identifier, 'entity', e.type, detectEntity(e.type as (typeof SUBMIT_ENTITY_TYPES)[number], e.identifier));
  for (const d of domains) add(d.value, 'domains', null, d);
  for (const t of thumbprints) add(t.value, 'certificate_thumbprints', null, t);
  if (rows.length === 0) throw invalidInput("Nothing to submit: no FILEHASH, ADDRESS or DestinationURL entity is in scope, and 'domains' and 'certificate_thumbprints' are empty.");
  if (todo.length === 0) throw invalidInput(`No value can be submitted as an indicator: ${rows.map((r) => r.message).join(' ')}`);

  const done: string[] = [];
  for (const { row, type } of todo) {
    if (signal?.aborted) {
      row.message = NOT_STARTED;
      continue;
    }
    const body = indicatorBody(row.value, type, settings);
    try {
      // Microsoft's POST updates the indicator with the same value, type and action; another action makes a second
      // one (microsoft-365-docs#4927, answered by Microsoft; #5890)
      const found = await findIndicators(api, row.value, type);
      const existing = found.find((i) => i.raw['action'] === settings.action);
      const others = found.filter((i) => i.raw['action'] !== settings.action);
      row.previous = existing ? structuredClone(existing.raw) : null; // its own copy: the result is a tree, not a graph
      if (existing && sameAsAsked(existing.raw, body)) {
        Object.assign(row, { status: 'success', outcome: 'unchanged', indicator: existing.raw, message: `${type} ${row.value} already is an indicator as asked (id ${existing.id}, ${settings.action}); nothing was sent.` });
        done.push(row.value);
        continue;
      }
      let indicator: Indicator;
      let note = '';
      try {
        indicator = await submitIndicator(api, body);
      } catch (err) {
        if (!isUnknownOutcome(err)) throw err;
        // the outcome is unknown: one lookup tells whether it landed; the POST is not sent again
        const now = await findIndicators(api, row.value, type).catch(() => []);
        const landed = now.find((i) => sameAsAsked(i.raw, body));
        if (!landed) throw err;
        indicator = landed;
        note = " (Microsoft's answer was lost, but the indicator now reads as submitted; it was not sent again)";
      }
      const outcome = existing ? 'updated' : 'created';
      const also = others.length ? `; ${others.map((o) => `indicator ${o.id} (${String(o.raw['action'])})`).join(', ')} also has this value (Microsoft applies Allowed over Warn over Block)` : '';
      Object.assign(row, { status: 'success', outcome, indicator: indicator.raw, message: `${type} ${row.value} ${outcome === 'updated' ? `updated: indicator ${existing!.id} had this value, type and action, and Microsoft's POST updates it` : `created as indicator ${indicator.id}`} (${settings.action})${also}${note}.` });
      done.push(row.value);
    } catch (err) {
      if (!(err instanceof ActionError)) throw err;
      // the run's stop: this value's message says how far it got (a POST that may have landed says so); the next are not started
      if (!isStopped(err, signal)) {
        const stop = fatal(err, done);
        if (stop) throw stop;
      }
      row.message = err.message;
    }
  }
  const entities = rows.filter((r) => r.source === 'entity').map((r) => ({ Identifier: r.value, EntityType: r.entity_type!, status: r.status, message: r.message }));
  return { rows, entities };
}

export interface DeleteRow {
  requested: string;
  by: 'id' | 'value';
  indicator_id: string | null;
  status: EntityOutcome['status'];
  message: string;
  /** the indicator as read before it was deleted (deletes by value) */
  indicator: RawIndicator | null;
}

/** Delete Indicators: by id, or by value (looked up first); a missing one is reported, not fatal. */
export async function deleteIndicators(api: DefenderApi, params: { indicator_ids?: string; indicator_values?: string }, signal?: AbortSignal): Promise<DeleteRow[]> {
  const ids = splitList(params.indicator_ids).map((id) => checkIndicatorId(id));
  const values = splitList(params.indicator_values);
  const badValue = values.find((v) => textProblem(v) !== undefined || v.length > MAX_URL);
  if (badValue !== undefined) throw invalidInput(`Parameter 'indicator_values' holds a value longer than ${MAX_URL} characters or with control characters; nothing was sent.`);
  if (ids.length === 0 && values.length === 0) throw invalidInput("Nothing to delete: give 'indicator_ids' (e.g. 995, 996) or 'indicator_values' (hashes, IP addresses, URLs, domains, thumbprints), separated by commas.");
  const rows: DeleteRow[] = [];
  const done: string[] = [];
  const targets: Array<{ requested: string; by: DeleteRow['by']; id: string; indicator: Indicator | null }> = [];
  // a failure of one lookup or delete is that row's; a fatal one (RUN_STOPPING_CODES, not the run's stop) fails the run
  const own = (err: unknown): ActionError => {
    if (!(err instanceof ActionError)) throw err;
    if (!isStopped(err, signal) && fatal(err, done)) throw fatal(err, done)!;
    return err;
  };
  for (const id of [...new Set(ids)]) targets.push({ requested: id, by: 'id', id, indicator: null });
  for (const value of [...new Set(values)]) {
    if (signal?.aborted) {
      rows.push({ requested: value, by: 'value', indicator_id: null, status: 'failed', message: NOT_STARTED, indicator: null });
      continue;
    }
    let found: Indicator[];
    try {
      found = await findIndicators(api, value);
    } catch (err) {
      rows.push({ requested: value, by: 'value', indicator_id: null, status: 'failed', message: `${own(err).message} Nothing was deleted for it.`, indicator: null });
      continue;
    }
    if (found.length === 0) rows.push({ requested: value, by: 'value', indicator_id: null, status: 'not_found', message: `No indicator has the value ${value}; nothing to delete.`, indicator: null });
    for (const f of found) targets.push({ requested: value, by: 'value', id: f.id, indicator: f });
  }
  const ordered = new Set<string>();
  for (const t of targets) {
    if (ordered.has(t.id)) continue;
    ordered.add(t.id);
    if (signal?.aborted) {
      rows.push({ requested: t.requested, by: t.by, indicator_id: t.id, indicator: t.indicator?.raw ?? null, status: 'failed', message: NOT_STARTED });
      continue;
    }
    try {
      const deleted = await deleteIndicator(api, t.id);
      const what = t.indicator ? `${t.indicator.indicatorType} ${t.indicator.indicatorValue}` : `indicator ${t.id}`;
      rows.push({ requested: t.requested, by: t.by, indicator_id: t.id, indicator: t.indicator?.raw ?? null, status: deleted ? 'success' : 'not_found', message: deleted ? `Deleted ${what} (id ${t.id}).` : `No indicator has the id ${t.id} (already deleted, or never there); nothing to delete.` });
      if (deleted) done.push(t.id);
    } catch (err) {
      // a DELETE cut short (the run's stop, M365D_TIMEOUT, a reset or a gateway's answer) may have been applied: say so;
      // repeating it is harmless, since a missing indicator is reported not_found
      const message = own(err).message;
      const maybe = isStopped(err, signal) || isUnknownOutcome(err) || (err instanceof ActionError && err.code === 'TIMEOUT');
      rows.push({ requested: t.requested, by: t.by, indicator_id: t.id, indicator: t.indicator?.raw ?? null, status: 'failed', message: maybe ? `${message} The delete may have been applied; run Delete Indicators again to be sure (a missing indicator is reported not_found).` : message });
    }
  }
  return rows;
}
