// Disable Account (Containment): disables the Defender for Identity account of each USERUNIQNAME entity (invokeAction
// `disable` on Microsoft Graph v1.0). The lookup, the choice of provider, the refusals and the one POST per account
// are lib/defender/accounts.ts runAccountAction, shared by the six account actions.
import { defineAction } from '../lib/runtime';
import { stoppingApiFor } from '../lib/defender/api';
import { runAccountAction } from '../lib/defender/accounts';
import { spec } from '../lib/generated/actions/disable-account.spec';
import type { DisableAccountResult } from '../lib/generated/actions/disable-account.types';

export default defineAction({
  spec,
  entityTypes: ['USERUNIQNAME'],
  async run(ctx) {
    const run = await runAccountAction({ ...stoppingApiFor(ctx, 'identities'), config: ctx.config, entities: ctx.entities, action: 'disable', provider: ctx.params.identity_provider });
    const json: DisableAccountResult = { action: 'disable', accounts: run.json_result.accounts };
    return { ...run, json_result: json };
  },
});
