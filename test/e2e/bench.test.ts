// The bench as a smoke test: `node scripts/bench.mjs --quick` with the fewest runs writes a report that lists every
// action of the manifest and each target of issue 8, and takes a daemon section from a script. It asserts what the
// report holds, never how fast anything was (the numbers are the bench's business).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^M365D_/.test(k) && !/^(https?|no|all)_proxy$/i.test(k)) env[k] = v;
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'bench.mjs'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench (a --quick smoke run)', function () {
  this.timeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'manifest', 'manifest.json'), 'utf8')) as { actions: Array<{ id: string }> };
  const SMALL = ['--quick', '--runs', '1', '--sequential', '2', '--parallel', '2', '--hunting-rows', '500'];

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a report: every action of the manifest, each target with met or not, the daemon not measured yet', async () => {
    const out = path.join(dir, 'BENCHMARKS.md');
    const run = await bench([...SMALL, '--out', out, '--daemon-script', path.join(dir, 'none.mjs')]);
    expect(run.code, run.stderr).to.equal(0);
    const report = fs.readFileSync(out, 'utf8');
    expect(report).to.match(/^# Benchmarks\n/);
    expect(report).to.match(/Node v\d+\.\d+\.\d+/);
    expect(report).to.match(/NODE_EXTRA_CA_CERTS: (set|not set)/);
    // command, type, median, p90, ratio, emulator ms, own ms, own ratio, completed
    for (const { id } of manifest.actions) expect(report, id).to.match(new RegExp(`^\\| ${id} \\| [A-Za-z]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\| 1/1 \\|$`, 'm'));
    expect(report).to.match(/^\| node -e 0 \| {2}\| [\d.]+ \|/m);
    for (const target of ['within 1.5x of `node -e 0`', 'one token request per 100 runs', 'peak memory under 200 MB', 'daemon API calls within 2%']) {
      expect(report, target).to.match(new RegExp(`^\\| [^\\n]*${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\n]*\\| (met|NOT met|not measured) \\|$`, 'm'));
    }
    expect(report).to.match(/^\| Microsoft Graph \| 1 \| yes \| 500 \|/m);
    expect(report).to.match(/^\| Defender XDR API \| 1 \| yes \| 500 \|/m);
    expect(report).to.include('## Daemon first sync of 10,000 incidents\n\nNot measured yet');
    expect(run.stdout).to.include(`report: ${out}`);
  });

  it('takes the daemon section, and its target, from the daemon bench script', async () => {
    const script = path.join(dir, 'bench-daemon.mjs');
    fs.writeFileSync(script, `console.log('daemon bench console line');\nconsole.log(JSON.stringify({ title: 'Daemon first sync of 10,000 incidents', intro: 'A first sync.', table: { headers: ['API calls', 'least possible'], rows: [[201, 200]] }, targets: [{ target: 'daemon API calls within 2% of the least possible', measured: '201 for 200', met: true }] }));\n`);
    const out = path.join(dir, 'with-daemon.md');
    const run = await bench([...SMALL, '--no-hunting-bench', '--out', out, '--daemon-script', script]);
    expect(run.code, run.stderr).to.equal(0);
    const report = fs.readFileSync(out, 'utf8');
    expect(report).to.include('## Daemon first sync of 10,000 incidents\n\nA first sync.\n\n| API calls | least possible |\n|---:|---:|\n| 201 | 200 |\n');
    expect(report).to.include('| daemon API calls within 2% of the least possible | 201 for 200 | met |');
    expect(report).to.match(/peak memory under 200 MB[^\n]*\| skipped \(--no-hunting-bench\) \| not measured \|/);
    expect(run.stdout).to.include('daemon bench console line');
  });

  it('refuses an unknown option', async () => {
    const run = await bench(['--fast']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include('unknown option --fast');
  });
});
