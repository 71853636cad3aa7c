// Evolvable enums and the `Prefer: include-unknown-enum-members` request header, for every Graph face.
//
// Graph's evolvable enums end their first members with the sentinel `unknownFutureValue`; members added later come
// after it. "By default, unknown members are not returned by Microsoft Graph": a caller that does not send the header
// sees `unknownFutureValue` in their place (microsoft-graph-docs-contrib concepts/best-practices-concept.md, "Evolvable
// enums"; resources/security-alert.md: "You must use the Prefer: include-unknown-enum-members request header to get the
// following value(s) in this evolvable enum: microsoftDefenderForCloud"). The behaviour in requests follows Microsoft's
// Graph design pattern (microsoft/api-guidelines graph/patterns/evolvable-enums.md): without the header a member after
// the sentinel in a request is a 400, and `eq unknownFutureValue` matches the hidden members; with it, the service
// answers `Preference-Applied: include-unknown-enum-members`. A `PATCH` that sends `unknownFutureValue` leaves the
// property as it is.
//
// The incidents face can use the same functions (incidentStatus has `awaitingAction` after its sentinel).
type Json = Record<string, unknown>;

export const SENTINEL = 'unknownFutureValue';
export const INCLUDE_UNKNOWN_ENUM_MEMBERS = 'include-unknown-enum-members';

/** Whether a request's `Prefer` header (RFC 7240: preferences separated by commas, names case-insensitive) asks for the hidden members. */
export function prefersUnknownEnumMembers(headers: Readonly<Record<string, string>>): boolean {
  const v = headers.prefer;
  if (v === undefined) return false;
  return v.split(',').some((p) => p.split(';')[0].split('=')[0].trim().toLowerCase() === INCLUDE_UNKNOWN_ENUM_MEMBERS);
}

/** Response headers for a request that asked (or not) for the hidden members. */
export function preferenceApplied(include: boolean): Record<string, string> {
  return include ? { 'preference-applied': INCLUDE_UNKNOWN_ENUM_MEMBERS } : {};
}

/** The members a caller without the header may name: those up to and including the sentinel. */
export function knownMembers(members: readonly string[]): readonly string[] {
  const i = members.indexOf(SENTINEL);
  return i < 0 ? members : members.slice(0, i + 1);
}

/** Whether `value` is one of the members after the sentinel. */
export function isHiddenMember(value: string, members: readonly string[]): boolean {
  const i = members.indexOf(SENTINEL);
  return i >= 0 && members.indexOf(value) > i;
}

/** The value as a caller sees it: a member after the sentinel is `unknownFutureValue` unless the caller asked for it. */
export function visibleMember(value: string, members: readonly string[], include: boolean): string {
  return !include && isHiddenMember(value, members) ? SENTINEL : value;
}

/** Property name → the members of its evolvable enum type. */
export type Evolvable = Readonly<Record<string, readonly string[]>>;

/** A copy of a serialised entity with its evolvable properties as the caller sees them (top-level properties only). */
export function maskEvolvable(obj: Json, evolvable: Evolvable, include: boolean): Json {
  if (include) return obj;
  const out: Json = { ...obj };
  for (const [k, members] of Object.entries(evolvable)) {
    const v = out[k];
    if (typeof v === 'string') out[k] = visibleMember(v, members, false);
  }
  return out;
}
