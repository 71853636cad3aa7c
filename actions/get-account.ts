// Get Account (Enrichment): the Defender for Identity identity account of each USERUNIQNAME entity (UPN, e-mail,
// DOMAIN\user or SID), with its provider accounts and the actions Microsoft documents for each (lib/defender/accounts.ts).
import { defineAction } from '../lib/runtime';
import { defenderApiFor } from '../lib/defender/api';
import { readAccounts } from '../lib/defender/accounts';
import { spec } from '../lib/generated/actions/get-account.spec';
import type { GetAccountResult } from '../lib/generated/actions/get-account.types';

export default defineAction({
  spec,
  entityTypes: ['USERUNIQNAME'],
  async run(ctx) {
    const rows = await readAccounts(defenderApiFor(ctx, 'identities'), ctx.config, ctx.entities);
    const found = rows.filter((r) => r.status === 'success');
    const json: GetAccountResult = { accounts: rows };
    return {
      result_value: found.length > 0,
      output_message: `${found.length} of ${rows.length} account${rows.length === 1 ? '' : 's'} found${found.length < rows.length ? `; ${rows.filter((r) => r.status !== 'success').map((r) => `${r.identifier} ${r.status.replace('_', ' ')}`).join(', ')}` : ''}.`,
      json_result: json,
      entities: rows.map((r) => ({ Identifier: r.identifier, EntityType: 'USERUNIQNAME', status: r.status, message: r.message })),
      tables: [{
        title: 'Identity accounts',
        columns: ['User', 'Identity account', 'Enabled', 'Providers'],
        rows: rows.map((r) => [r.identifier, (r.identity_account?.['id'] as string | undefined) ?? null, typeof r.identity_account?.['isEnabled'] === 'boolean' ? String(r.identity_account['isEnabled']) : null, r.supported_actions.map((s) => `${s.identity_provider}: ${s.actions.join(', ')}`).join('; ')]),
      }],
    };
  },
});
