// The daemon's fallback state file key (lib/daemon/store.ts): one instance, one checkpoint.
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import { stateFileKey } from '../../../lib/daemon/store';
import type { Config } from '../../../lib/runtime/config';

type KeyConfig = Pick<Config, 'tenantId' | 'clientId' | 'apiUrl' | 'credential'>;
const tenant = '11111111-2222-3333-4444-555555555555';
const client = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const api = 'https://graph.microsoft.com/v1.0';

describe('daemon state file key', () => {
  it('is the key earlier versions used for an app registration, so an upgrade finds its checkpoint', () => {
    const old = crypto.createHash('sha256').update([tenant, client, api, 'incidents-daemon'].join('\n')).digest('hex').slice(0, 32);
    for (const credential of [{ kind: 'secret', secret: 's' }, { kind: 'certificate', pem: 'p', source: 'text' }] as const) {
      expect(stateFileKey({ tenantId: tenant, clientId: client, apiUrl: api, credential }, 'incidents-daemon')).to.equal(old);
    }
  });

  it('tells managed identities apart even without a tenant or client id (system-assigned, by resource id, by object id)', () => {
    const mi = (identity: Extract<Config['credential'], { kind: 'managed_identity' }>['identity']): KeyConfig => ({ tenantId: '', clientId: '', apiUrl: api, credential: { kind: 'managed_identity', identity } });
    const keys = [
      mi({ kind: 'system' }),
      mi({ kind: 'resource_id', value: '/subscriptions/1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a', variable: 'M365D_MANAGED_IDENTITY_RESOURCE_ID' }),
      mi({ kind: 'resource_id', value: '/subscriptions/1/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b', variable: 'M365D_MANAGED_IDENTITY_RESOURCE_ID' }),
      mi({ kind: 'object_id', value: '0badc0de-0000-4000-8000-000000000001', variable: 'M365D_MANAGED_IDENTITY_OBJECT_ID' }),
    ].map((c) => stateFileKey(c, 'incidents-daemon'));
    expect(new Set(keys).size).to.equal(keys.length);
    // and the daemon and the API root still count
    const system = mi({ kind: 'system' });
    expect(stateFileKey(system, 'alerts-daemon')).to.not.equal(keys[0]);
    expect(stateFileKey(system, 'incidents-daemon', 'https://api.security.microsoft.com')).to.not.equal(keys[0]);
  });
});
