// Ping (Test): proves the configuration end to end. A token, one incident read, with check_hunting one small advanced
// hunting query, and with check_endpoint_api a token for the Defender for Endpoint API and one device read there;
// reports which permissions were confirmed, or fails naming what is wrong.
import { ActionError, defineAction } from '../lib/runtime';
import type { Config } from '../lib/runtime/config';
import { listPage } from '../lib/runtime/shape';
import { API_NAMES, defenderApiFor, PERMISSIONS, type ApiCall } from '../lib/defender/api';
import { runHuntingQuery } from '../lib/defender/hunting';
import { spec } from '../lib/generated/actions/ping.spec';
import type { PingResult } from '../lib/generated/actions/ping.types';

type Check = PingResult['checks'][number];

const READ_ONE: Record<'graph' | 'defender', ApiCall> = {
  graph: { method: 'GET', path: '/v1.0/security/incidents?$top=1', label: 'reading one incident', capability: 'readIncidents' },
  defender: { method: 'GET', path: '/api/incidents?$top=1', label: 'reading one incident', capability: 'readIncidents' },
};

/** How the run signed in, for the token check and the message: "with a managed identity (system-assigned, MSAL chose Imds)". */
function describeSignIn(config: Config, source: string | undefined): string {
  const c = config.credential;
  switch (c.kind) {
    case 'secret':
      return `with a client secret from ${config.loginUrl}`;
    case 'certificate':
      return `with a client certificate from ${config.loginUrl}`;
    case 'workload_identity':
      return `with workload identity federation (the token file ${c.tokenFile}) from ${config.loginUrl}`;
    case 'managed_identity':
      return `with ${c.identity.kind === 'system' ? 'the system-assigned managed identity' : `the user-assigned managed identity ${c.identity.value}`} (MSAL chose ${source ?? 'its source'})`;
  }
}

export default defineAction({
  spec,
  async run(ctx) {
    const { config } = ctx;
    const api = defenderApiFor(ctx);
    const flavor = config.apiFlavor;
    const checks: Check[] = [];
    const confirmed: string[] = [];
    const step = async (check: Omit<Check, 'ok' | 'detail'>, work: () => Promise<string>): Promise<void> => {
      try {
        checks.push({ ...check, ok: true, detail: await work() });
        if (check.permission) confirmed.push(check.permission);
      } catch (err) {
        if (!(err instanceof ActionError)) throw err;
        const done = checks.map((c) => c.permission ?? c.name).join(', ');
        throw new ActionError(err.code, `${err.message}${done ? ` (Confirmed before this: ${done}.)` : ''}`, { cause: err });
      }
    };

    const c = config.credential;
    const source = c.kind === 'managed_identity' ? await api.tokens.managedIdentitySource?.() : undefined;
    const signIn = describeSignIn(config, source);
    await step({ name: 'token' }, async () => {
      await api.tokens.getToken();
      return `token for ${api.tokens.scope} ${signIn}`;
    });
    await step({ name: 'incident_read', permission: PERMISSIONS.readIncidents[flavor] }, async () => {
      const call = READ_ONE[flavor];
      const page = listPage(await api.call(call), { api: api.name, label: call.label });
      return page.value.length > 0 ? 'read one incident' : 'the call worked; no incident is visible';
    });
    if (ctx.params.check_hunting) {
      await step({ name: 'hunting', permission: PERMISSIONS.hunting[flavor] }, async () => {
        // the smallest useful query; on Graph a one-day Timespan keeps it small
        await runHuntingQuery(api, 'AlertInfo | take 1', 'P1D');
        return 'ran AlertInfo | take 1';
      });
    }

    if (ctx.params.check_endpoint_api) {
      const endpoint = defenderApiFor(ctx, 'machines');
      await step({ name: 'endpoint_token' }, async () => {
        await endpoint.tokens.getToken();
        return `token for ${endpoint.tokens.scope} ${signIn}`;
      });
      await step({ name: 'endpoint_read', permission: PERMISSIONS.readMachines[flavor] }, async () => {
        const call: ApiCall = { method: 'GET', path: '/api/machines?$top=1', label: 'reading one device', capability: 'readMachines' };
        const page = listPage(await endpoint.call(call), { api: endpoint.name, label: call.label });
        return page.value.length > 0 ? `read one device at ${config.endpointApiUrl}` : `the call to ${config.endpointApiUrl} worked; no device is visible`;
      });
    }

    const json: PingResult = {
      api_family: flavor,
      api_url: config.apiUrl,
      login_url: config.loginUrl,
      cloud: config.cloud,
      tenant_id: config.tenantId,
      client_id: config.clientId,
      credential: c.kind,
      ...(c.kind === 'managed_identity' ? { managed_identity: c.identity.kind === 'system' ? 'system-assigned' : `user-assigned ${c.identity.value} (${c.identity.variable})` } : {}),
      ...(source !== undefined ? { managed_identity_source: source } : {}),
      ...(c.kind === 'workload_identity' ? { federated_token_file: c.tokenFile } : {}),
      checks,
      confirmed_permissions: confirmed,
      ...(ctx.params.check_endpoint_api ? { endpoint_api_url: config.endpointApiUrl } : {}),
    };
    return {
      result_value: true,
      // an app registration's message is as before; the secretless methods say how the run signed in
      output_message: `Connected to ${API_NAMES[flavor]} at ${config.apiUrl}${config.tenantId ? ` for tenant ${config.tenantId}` : ''}${c.kind === 'managed_identity' || c.kind === 'workload_identity' ? ` ${signIn}` : ''}; confirmed ${confirmed.join(' and ')}.`,
      json_result: json,
      tables: [{ title: 'Checks', columns: ['Check', 'Permission', 'Result'], rows: checks.map((c) => [c.name, c.permission ?? '', c.detail]) }],
    };
  },
});
