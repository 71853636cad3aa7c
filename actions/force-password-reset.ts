// Force Password Reset (Containment): forces a password reset of the Defender for Identity account of each USERUNIQNAME entity (invokeAction
// `forcePasswordReset` on Microsoft Graph v1.0). The lookup, the choice of provider, the refusals and the one POST per account
// are lib/defender/accounts.ts runAccountAction, shared by the six account actions.
import { defineAction } from '../lib/runtime';
import { stoppingApiFor } from '../lib/defender/api';
import { runAccountAction } from '../lib/defender/accounts';
import { spec } from '../lib/generated/actions/force-password-reset.spec';
import type { ForcePasswordResetResult } from '../lib/generated/actions/force-password-reset.types';

export default defineAction({
  spec,
  entityTypes: ['USERUNIQNAME'],
  async run(ctx) {
    const run = await runAccountAction({ ...stoppingApiFor(ctx, 'identities'), config: ctx.config, entities: ctx.entities, action: 'forcePasswordReset', provider: ctx.params.identity_provider });
    const json: ForcePasswordResetResult = { action: 'forcePasswordReset', accounts: run.json_result.accounts };
    return { ...run, json_result: json };
  },
});
