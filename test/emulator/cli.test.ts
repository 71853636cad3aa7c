import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs, UsageError } from './cli';
import { request } from './test-support';

const CLI = path.resolve(__dirname, 'cli.js');

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.on('exit', (code) => reject(new Error(`exited ${String(code)} before printing a line; stderr: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve({ code: child.exitCode, signal: child.signalCode }); return; }
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('emulator core: command line', () => {
  it('parses its arguments and refuses bad ones', () => {
    expect(parseArgs(['--port', '0', '--seed', '5', '--incidents=20', '--time-scale', '60', '--no-quotas', '--hunting-rows', '100']))
      .to.deep.equal({ quiet: false, port: 0, seed: 5, incidents: 20, timeScale: 60, quotas: false, huntingRowsPerTable: 100 });
    expect(() => parseArgs(['--port', 'abc'])).to.throw(UsageError, /--port needs a whole number/);
    expect(() => parseArgs(['--port', '70000'])).to.throw(UsageError, /between 0 and 65535/);
    expect(() => parseArgs(['--time-scale', '0'])).to.throw(UsageError, /--time-scale/);
    expect(() => parseArgs(['--bogus'])).to.throw(UsageError, /unknown argument '--bogus'/);
    expect(parseArgs(['--action-seconds', '2,5'])).to.deep.equal({ quiet: false, machineActionSeconds: { pending: 2, running: 5 } });
    expect(() => parseArgs(['--action-seconds', '2'])).to.throw(UsageError, /--action-seconds needs two whole numbers/);
    expect(() => parseArgs(['--seed'])).to.throw(UsageError, /got nothing/);
    expect(parseArgs(['--alerts', '10000'])).to.deep.equal({ quiet: false, alerts: 10000 });
    expect(() => parseArgs(['--alerts', '-1'])).to.throw(UsageError, /--alerts needs a whole number/);
  });

  it('exits 2 with a clear message on bad arguments', async () => {
    const child = spawn(process.execPath, [CLI, '--port', 'nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = ''; let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const { code } = await exited(child);
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.match(/--port needs a whole number, got 'nope'/);
  });

  // Uses the real tenant model (createTenant from tenant/): it passes once the tenant model has landed.
  it('REAL TENANT: prints one JSON line {url, env, legacy_env, apps} first, serves, and stops on SIGTERM', async function () {
    this.timeout(60_000);
    const child = spawn(process.execPath, [CLI, '--port', '0', '--incidents', '5', '--hunting-rows', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await firstLine(child);
      const info = JSON.parse(line) as { url: string; env: Record<string, string>; legacy_env: Record<string, string>; apps: Array<{ name: string; clientId: string }> };
      expect(Object.keys(info)).to.deep.equal(['url', 'env', 'legacy_env', 'apps']);
      expect(info.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(info.env.M365D_API_URL).to.equal(info.url);
      expect(info.env.M365D_API_FLAVOR).to.equal('graph');
      expect(info.legacy_env.M365D_API_FLAVOR).to.equal('defender');
      expect(info.env.M365D_CA_CERTIFICATE).to.match(/^-----BEGIN CERTIFICATE-----/);
      expect(info.apps.map((a) => a.name)).to.deep.equal(['full', 'readonly', 'nohunting', 'certonly']);
      const h = await request(`${info.url}/_emulator/health`, { ca: info.env.M365D_CA_CERTIFICATE });
      expect(h.status).to.equal(200);
      expect(h.json.tenantId).to.equal(info.env.M365D_TENANT_ID);
      child.kill('SIGTERM');
      const { code, signal } = await exited(child);
      expect(signal).to.equal(null);
      expect(code).to.equal(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
