// Add Comment To Incident (Notification): never posted twice by a retry (the request is not idempotent), and a run
// whose answer was cut short says that the comment may already be there.
import { ActionError, defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { checkIncidentId, incidentsClient } from '../lib/defender/incidents';
import { TransportError } from '../lib/http';
import { spec } from '../lib/generated/actions/add-comment-to-incident.spec';
import type { AddCommentToIncidentResult } from '../lib/generated/actions/add-comment-to-incident.types';

/** A failure after the comment may have reached Microsoft (the connection broke or timed out once it was sent). */
const mayHaveLanded = (err: unknown): err is ActionError => err instanceof ActionError && err.cause instanceof TransportError && err.cause.maybeSent;

export default defineAction({
  spec,
  async run(ctx) {
    const id = checkIncidentId(ctx.params.incident_id);
    const comment = ctx.params.comment.trim();
    let comments;
    try {
      comments = await incidentsClient(defenderApiFor(ctx), ctx.config, ctx.log).addComment(id, comment);
    } catch (err) {
      if (!mayHaveLanded(err)) throw err;
      throw new ActionError(
        err.code,
        `${err.message} The comment was sent and its answer cut short, so its outcome is unknown: it may already be on incident ${id}. Look at the incident's comments before adding it again; it was not sent twice.`,
        { cause: err.cause },
      );
    }
    const json: AddCommentToIncidentResult = { incident_id: id, comment, comments };
    return { result_value: true, output_message: `Comment added to incident ${id} (${comments.length} comment${comments.length === 1 ? '' : 's'} now).`, json_result: json };
  },
});
