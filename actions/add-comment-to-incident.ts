// Add Comment To Incident (Notification): never posted twice by a retry (the request is not idempotent).
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { checkIncidentId, incidentsClient } from '../lib/defender/incidents';
import { spec } from '../lib/generated/actions/add-comment-to-incident.spec';
import type { AddCommentToIncidentResult } from '../lib/generated/actions/add-comment-to-incident.types';

export default defineAction({
  spec,
  async run(ctx) {
    const id = checkIncidentId(ctx.params.incident_id);
    const comment = ctx.params.comment.trim();
    const comments = await incidentsClient(defenderApiFor(ctx), ctx.config, ctx.log).addComment(id, comment);
    const json: AddCommentToIncidentResult = { incident_id: id, comment, comments };
    return { result_value: true, output_message: `Comment added to incident ${id} (${comments.length} comment${comments.length === 1 ? '' : 's'} now).`, json_result: json };
  },
});
