// Update Incident's rules, whatever the backend: what the request asks checked before anything is sent where it can
// be (a classification with its determination; what the Defender XDR API cannot set), then against the incident as it
// is (a determination alone against the current classification, a classification alone against the current
// determination: wrong input found after the read, so exit 1), what changes, and what Microsoft's answer shows.

import type { ApiFlavor } from '../runtime/config';
import { ActionError, invalidInput, invalidInputAfterRequest } from '../runtime/errors';
import type { IncidentChange } from './incidents';
import { checkDetermination, DETERMINATIONS_BY_CLASSIFICATION, label, type Classification, type Determination, type Incident, type IncidentStatus, type Open } from './model';

export interface UpdateRequest {
  status?: IncidentStatus;
  classification?: Classification;
  determination?: Determination;
  assignedTo?: string;
  /** tags to add to the incident's custom tags (the ones it has are kept) */
  tags?: string[];
}

export interface UpdatePlan {
  change: IncidentChange;
  /** the tags the request adds (those the incident has, compared without case, left out) */
  addedTags: string[];
  /** what changes, for the output message: "status Resolved", "classification True Positive", ...; empty when the
   *  incident already is as asked */
  summary: string[];
}

/**
 * What can be refused before the incident or alert is read (exit 2, nothing sent): a classification given with a determination
 * that it does not allow, and on the Defender XDR API a classification or determination Unknown, which its PATCH does
 * not take (api-update-incidents.md: TruePositive, InformationalExpectedActivity and FalsePositive only).
 */
export function checkRequest(request: { classification?: Classification; determination?: Determination }, flavor: ApiFlavor): void {
  if (request.classification !== undefined && request.determination !== undefined) checkDetermination(request.classification, request.determination);
  if (flavor === 'defender' && (request.classification === 'unknown' || request.determination === 'unknown')) {
    throw invalidInput(
      `Classification '${label('unknown')}' (no classification) cannot be set through the Defender XDR API, which takes ${(['truePositive', 'informationalExpectedActivity', 'falsePositive'] as const).map(label).join('; ')}; clear a classification through Microsoft Graph.`,
    );
  }
}

/** Runs a check that needs the item as it is: its INVALID_INPUT came after a request (the read), so exit 1. */
function afterRead(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof ActionError && err.code === 'INVALID_INPUT') throw invalidInputAfterRequest(err.message);
    throw err;
  }
}

const addedTags = (current: Incident, tags: readonly string[] | undefined): string[] => {
  const have = new Set(current.customTags.map((t) => t.toLowerCase()));
  const out: string[] = [];
  for (const t of tags ?? []) {
    if (have.has(t.toLowerCase())) continue;
    have.add(t.toLowerCase());
    out.push(t);
  }
  return out;
};

/**
 * The classification and determination rules of an update, for an incident or an alert (the same table): a
 * determination is checked against the classification it will have (the current one when none is given), and a new
 * classification must fit the current determination or come with one. Returns the classification the item will have.
 */
export function checkTriage(
  current: { classification: Open<Classification>; determination: Open<Determination> },
  request: { classification?: Classification; determination?: Determination },
  noun: 'incident' | 'alert',
): Classification {
  const classification = (request.classification ?? current.classification) as Classification;
  if (request.determination !== undefined) {
    // a determination without a classification is checked against the current classification
    checkDetermination(classification, request.determination);
  } else if (request.classification !== undefined && request.classification !== current.classification && current.determination !== 'unknown') {
    const allowed = DETERMINATIONS_BY_CLASSIFICATION[request.classification] ?? [];
    if (!(allowed as readonly string[]).includes(current.determination)) {
      throw invalidInput(
        `Classification '${label(request.classification)}' does not allow the ${noun}'s current determination '${label(current.determination)}'; give a determination too: ${allowed.map(label).join(', ')}.`,
      );
    }
  }
  return classification;
}

/** The triage fields an update of an incident or an alert may change. */
export interface TriageChange<S extends string> {
  status?: S;
  classification?: Classification;
  determination?: Determination;
  assignedTo?: string;
}

/**
 * What a request changes of an item's status, classification, determination and assignment (only what differs), with
 * the rules of checkTriage, and the summary for the message. A determination goes with the classification it belongs
 * to: Microsoft checks the pair.
 */
export function triageChanges<S extends string>(
  current: { status: Open<S>; classification: Open<Classification>; determination: Open<Determination>; assignedTo: string | null },
  request: TriageChange<S>,
  noun: 'incident' | 'alert',
): { change: TriageChange<S>; summary: string[] } {
  const change: TriageChange<S> = {};
  const summary: string[] = [];
  // checked against the item as it was read: wrong input found after a request (exit 1)
  let classification: Classification = (request.classification ?? current.classification) as Classification;
  afterRead(() => {
    classification = checkTriage(current, request, noun);
  });
  if (request.status !== undefined && request.status !== current.status) {
    change.status = request.status;
    summary.push(`status ${label(request.status)}`);
  }
  if (request.classification !== undefined && request.classification !== current.classification) {
    change.classification = request.classification;
    summary.push(`classification ${label(request.classification)}`);
  }
  if (request.determination !== undefined && request.determination !== current.determination) {
    change.determination = request.determination;
    change.classification ??= classification;
    summary.push(`determination ${label(request.determination)}`);
  }
  if (request.assignedTo !== undefined && request.assignedTo !== (current.assignedTo ?? '')) {
    change.assignedTo = request.assignedTo;
    summary.push(`assigned to ${request.assignedTo}`);
  }
  return { change, summary };
}

/** What the request changes on `current` (read just before); a request that changes nothing has an empty plan. */
export function planUpdate(current: Incident, request: UpdateRequest): UpdatePlan {
  const triage = triageChanges<IncidentStatus>(current, request, 'incident');
  const change: IncidentChange = triage.change;
  const { summary } = triage;
  const added = addedTags(current, request.tags);
  if (added.length) {
    change.customTags = [...current.customTags, ...added];
    summary.push(`tags ${added.map((t) => `+${t}`).join(', ')}`);
  }
  return { change, summary, addedTags: added };
}

/** The incident's fields as a sentence: "status Resolved, classification True Positive, ...". */
export const describeIncident = (i: Incident): string =>
  `status ${label(i.status)}, classification ${label(i.classification)}, determination ${label(i.determination)}, assigned to ${i.assignedTo ?? 'nobody'}`;

export interface UpdateReport {
  /** what Microsoft's answer shows changed, in its values: "status Resolved", "tags +vip" */
  changes: string[];
  /** what was asked and the answer does not show: "status Resolved (the answer shows Active)" */
  missing: string[];
  /** a merge the answer shows: it is about another incident, or shows this one redirected into another */
  merge?: string;
}

/**
 * What Microsoft's answer to the PATCH shows: each change asked for, in the answer's own values, or, where the answer
 * does not show it, what it shows instead; and a merge (the answer is another incident, or shows the incident
 * redirected into another one, as a merged incident is: status Redirected and redirectIncidentId).
 */
export function reportUpdate(id: string, plan: UpdatePlan, answer: Incident): UpdateReport {
  const { change } = plan;
  const changes: string[] = [];
  const missing: string[] = [];
  const field = (name: string, asked: string, shown: string): void => {
    if (asked === shown) changes.push(`${name} ${shown}`);
    else missing.push(`${name} ${asked} (the answer shows ${shown})`);
  };
  if (change.status !== undefined) field('status', label(change.status), label(answer.status));
  if (change.classification !== undefined && plan.summary.some((s) => s.startsWith('classification '))) field('classification', label(change.classification), label(answer.classification));
  if (change.determination !== undefined) field('determination', label(change.determination), label(answer.determination));
  if (change.assignedTo !== undefined) {
    if (change.assignedTo === answer.assignedTo) changes.push(`assigned to ${answer.assignedTo}`);
    else missing.push(`assigned to ${change.assignedTo} (the answer shows ${answer.assignedTo === null || answer.assignedTo === '' ? 'nobody' : answer.assignedTo})`);
  }
  if (plan.addedTags.length) {
    const shown = new Set(answer.customTags.map((t) => t.toLowerCase()));
    const present = plan.addedTags.filter((t) => shown.has(t.toLowerCase()));
    const absent = plan.addedTags.filter((t) => !shown.has(t.toLowerCase()));
    if (present.length) changes.push(`tags ${present.map((t) => `+${t}`).join(', ')}`);
    if (absent.length) missing.push(`tags ${absent.map((t) => `+${t}`).join(', ')} (the answer does not show ${absent.length === 1 ? 'it' : 'them'})`);
  }
  const report: UpdateReport = { changes, missing };
  if (answer.id !== id) {
    report.merge = `Microsoft answered with incident ${answer.id}, not ${id}: incident ${id} may have been merged into it`;
  } else if (answer.status === 'redirected' || answer.redirectIncidentId !== null) {
    const into = answer.redirectIncidentId;
    report.merge = `Microsoft's answer shows incident ${id} merged into ${into === null ? 'another incident' : `incident ${into}`} (status ${label(answer.status)}); the merged case is ${into === null ? 'that incident' : `incident ${into}`}`;
  }
  return report;
}
