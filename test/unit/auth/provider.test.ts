import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTokenProvider } from '../../../lib/auth';
import { loadConfig } from '../../../lib/runtime/config';
import type { Logger } from '../../../lib/runtime/log';

function setup(stateDir: string, name = 'token') {
  const config = loadConfig({ M365D_TENANT_ID: '11111111-2222-3333-4444-555555555555', M365D_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', M365D_CLIENT_SECRET: 'provider-test-secret', M365D_STATE_DIR: stateDir });
  const warnings: string[] = [];
  const secrets: string[] = [];
  const log: Logger = { error() {}, warn: (m) => void warnings.push(m), info() {}, debug() {}, enabled: () => true };
  let fetches = 0;
  const provider = createTokenProvider(config, {
    http: { send: async () => { throw new Error('no network in this test'); } },
    log,
    addSecret: (s) => void secrets.push(s),
    fetchToken: async () => ({ accessToken: `${name}-${++fetches}-abcdefghijklmnop`, expiresOn: Math.floor(Date.now() / 1000) + 3600, scope: 'x', tokenType: 'Bearer' }),
  });
  return { provider, warnings, secrets, fetches: () => fetches };
}

describe('token provider', () => {
  it('fetches once, keeps the token for the run, and registers it as a secret', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provider-'));
    const t = setup(dir);
    const a = await t.provider.getToken();
    fs.rmSync(path.join(dir, 'tokens'), { recursive: true, force: true }); // the run keeps its token even so
    expect(await t.provider.getToken()).to.equal(a);
    expect(t.fetches()).to.equal(1);
    expect(t.secrets).to.include(a);
    expect(t.provider.scope).to.equal('https://graph.microsoft.com/.default');
  });

  it('takes the token another run cached, and renews a refused one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provider-'));
    const first = setup(dir);
    const a = await first.provider.getToken();
    const second = setup(dir, 'second');
    expect(await second.provider.getToken()).to.equal(a);
    expect(second.fetches()).to.equal(0);
    const b = await second.provider.renew(a);
    expect(b).not.to.equal(a);
    expect(second.fetches()).to.equal(1);
    expect(await second.provider.getToken()).to.equal(b);
  });

  it('still hands out the token when the state folder cannot be written, with a warning', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provider-'));
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, 'x');
    const t = setup(blocker);
    expect(await t.provider.getToken()).to.match(/^token-1-/);
    expect(t.warnings.join(' ')).to.match(/token cache cannot be written/);
  });
});
