// Update Incident's rules, whatever the backend: what the request changes against the incident as it is, the
// determination checked against the classification it will have (Microsoft's table, model.ts), and a request that
// changes nothing refused.

import { invalidInput } from '../runtime/errors';
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
  /** what changes, for the output message: "status Resolved", "classification True Positive", ... */
  summary: string[];
}

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
  const classification = checkTriage(current, request, noun);
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

export function planUpdate(current: Incident, request: UpdateRequest): UpdatePlan {
  const triage = triageChanges<IncidentStatus>(current, request, 'incident');
  const change: IncidentChange = triage.change;
  const { summary } = triage;
  if (request.tags?.length) {
    const have = new Set(current.customTags.map((t) => t.toLowerCase()));
    const added = [...new Set(request.tags)].filter((t) => !have.has(t.toLowerCase()));
    if (added.length) {
      change.customTags = [...current.customTags, ...added];
      summary.push(`tags ${added.map((t) => `+${t}`).join(', ')}`);
    }
  }
  if (summary.length === 0) {
    throw invalidInput(`Incident ${current.id} already is as asked (status ${label(current.status)}, classification ${label(current.classification)}, determination ${label(current.determination)}, assigned to ${current.assignedTo ?? 'nobody'}); nothing to update.`);
  }
  return { change, summary };
}
