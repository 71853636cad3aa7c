// Add Comment To Alert (Notification): never posted twice by a retry (the request is not idempotent); when its outcome
// is unknown, the message says the comment may already be there.
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { addAlertComment, checkAlertId } from '../lib/defender/alerts';
import { spec } from '../lib/generated/actions/add-comment-to-alert.spec';
import type { AddCommentToAlertResult } from '../lib/generated/actions/add-comment-to-alert.types';

export default defineAction({
  spec,
  async run(ctx) {
    const id = checkAlertId(ctx.params.alert_id);
    const comment = ctx.params.comment.trim();
    const comments = await addAlertComment(defenderApiFor(ctx, 'alerts'), id, comment);
    const json: AddCommentToAlertResult = { alert_id: id, comment, comments };
    return { result_value: true, output_message: `Comment added to alert ${id} (${comments.length} comment${comments.length === 1 ? '' : 's'} now).`, json_result: json };
  },
});
