// The README's first command must keep working: the demo runs every step as expected and exits 0.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { cleanEnv } from '../support/run';

describe('npm run demo', function () {
  this.timeout(120_000);
  it('runs every step as expected against the emulator and exits 0', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'demo.mjs'), '--no-build'], { env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (err += d));
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    expect(code, stderr).to.equal(0);
    expect(stdout).not.to.include('NOT as expected');
    expect(stdout.match(/-> as expected/g)).to.have.length(29);
    expect(stdout).to.match(/1 of 1 device isolated \(1 succeeded\)\. Machine actions: [0-9a-f-]{36}\./);
    expect(stdout).to.match(/Machine action [0-9a-f-]{36}: Isolate on .*, Succeeded\./);
    expect(stdout).to.match(/1 of 1 device released from isolation \(1 succeeded\)\./);
    expect(stdout).to.match(/Connected to Microsoft Graph at \S+ with the system-assigned managed identity \(MSAL chose DefaultToImds\)/);
    expect(stdout).to.match(/entities in scope went into it/);
    expect(stdout).to.match(/Incident \d+ updated: status In Progress, .*determination Malware, tags \+demo\./);
    expect(stdout).to.match(/error code INVALID_INPUT/);
    expect(stdout).to.include('token requests to Entra ID during this step: 0');
    expect(stdout).to.match(/error code PERMISSION/);
    expect(stdout).to.match(/Alert \S+ updated: status In Progress, classification True Positive, determination Malware, assigned to soc-analyst@contoso\.com, custom detail ticket\./);
    expect(stdout).to.match(/Alert \S+ already is as asked .*nothing had to change, and nothing was sent\./);
    expect(stdout).to.match(/Comment added to alert \S+ \(\d+ comments? now\)\./);
    expect(stdout).to.match(/Handed over \d+ alert versions?, oldest first\./);
    expect(stdout).to.match(/Indicators \(Block\): 2 created, 0 updated, 0 already as asked\./);
    expect(stdout).to.match(/disable: 1 of 1 account done\./);
  });
});
