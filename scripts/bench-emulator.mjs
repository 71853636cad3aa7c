#!/usr/bin/env node
// Bench of the emulator, in-process: 10,000 incidents paged through on the Graph face (50 a page, following
// @odata.nextLink) and on the Defender face (100 a page with $skip), and a hunting query returning 100,000 rows on
// both faces — each over HTTPS with node's https module, trusting only the emulator's CA, with a real token from its
// token endpoint. Prints requests, wall time, response bytes and the process's peak RSS for each, and `node -e 0`
// as a baseline measured in the same run. Quotas are off (10,000 incidents take 200 Graph pages, more than a
// minute's allowance).
//   node scripts/bench-emulator.mjs [--incidents N] [--rows N]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import https from 'node:https';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const INCIDENTS = arg('--incidents', 10_000);
const ROWS = arg('--rows', 100_000);

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
const rssMb = () => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;
const results = [];
function report(name, r) {
  results.push({ name, ...r });
  const line = r.error
    ? `${name.padEnd(34)} FAILED: ${r.error}`
    : `${name.padEnd(34)} requests ${String(r.requests).padStart(4)}  wall ${String(Math.round(r.ms)).padStart(6)} ms  bytes ${mb(r.bytes).padStart(9)}  ${r.items !== undefined ? `items ${String(r.items).padStart(6)}  ` : ''}peak RSS ${rssMb()}`;
  process.stdout.write(`${line}\n`);
}

// 0. compile (output to stderr)
const tsc = path.join(path.dirname(require.resolve('typescript/package.json', { paths: [root] })), 'bin', 'tsc');
const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'test', 'emulator')], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
if (build.status !== 0) { process.stderr.write('bench: compiling test/emulator failed\n'); process.exit(1); }

// 1. baseline: node -e 0 (median of 5)
{
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(`${'baseline: node -e 0 (median of 5)'.padEnd(34)} wall ${Math.round(times[2])} ms (NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'})\n`);
}

const { startEmulator } = require(path.join(root, 'build', 'test', 'emulator', 'emulator.js'));
let em;
try {
  const t = performance.now();
  em = await startEmulator({ incidents: INCIDENTS, huntingRowsPerTable: ROWS, quotas: false });
  report(`start (${INCIDENTS} incidents, ${ROWS} rows/table)`, { requests: 0, ms: performance.now() - t, bytes: 0 });
} catch (e) {
  report('start', { error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}

const agent = new https.Agent({ keepAlive: true, ca: em.caPem, maxSockets: 1 });
function call(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) }, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode, bytes: buf.length, json: () => JSON.parse(buf.toString('utf8')), text: () => buf.toString('utf8').slice(0, 300) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function step(name, fn) {
  const t = performance.now();
  try {
    const r = await fn();
    report(name, { ...r, ms: performance.now() - t });
  } catch (e) {
    report(name, { error: e instanceof Error ? e.message : String(e) });
  }
}

let token;
await step('token (client secret)', async () => {
  const full = em.app('full');
  const form = new URLSearchParams({ client_id: full.clientId, client_secret: full.clientSecret, scope: `${em.origin}/.default`, grant_type: 'client_credentials' }).toString();
  const r = await call(`${em.origin}/${em.tenantId}/oauth2/v2.0/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  if (r.status !== 200) throw new Error(`token ${r.status}: ${r.text()}`);
  token = r.json().access_token;
  return { requests: 1, bytes: r.bytes };
});
const auth = () => ({ authorization: `Bearer ${token}` });

await step('Graph incidents, $top=50 + nextLink', async () => {
  let url = `${em.origin}/v1.0/security/incidents?$top=50`;
  let requests = 0; let bytes = 0; let items = 0;
  while (url) {
    const r = await call(url, { headers: auth() });
    requests++; bytes += r.bytes;
    if (r.status !== 200) throw new Error(`page ${requests}: ${r.status} ${r.text()}`);
    const j = r.json();
    items += j.value.length;
    url = j['@odata.nextLink'];
  }
  if (items < INCIDENTS) throw new Error(`saw ${items} incidents, expected at least ${INCIDENTS}`);
  return { requests, bytes, items };
});

await step('Defender incidents, $top=100 + $skip', async () => {
  let skip = 0; let requests = 0; let bytes = 0; let items = 0;
  for (;;) {
    const r = await call(`${em.origin}/api/incidents?$top=100&$skip=${skip}`, { headers: auth() });
    requests++; bytes += r.bytes;
    if (r.status !== 200) throw new Error(`page ${requests}: ${r.status} ${r.text()}`);
    const n = r.json().value.length;
    items += n; skip += n;
    if (n < 100) break;
  }
  if (items < INCIDENTS) throw new Error(`saw ${items} incidents, expected at least ${INCIDENTS}`);
  return { requests, bytes, items };
});

const QUERY = `union DeviceProcessEvents, DeviceNetworkEvents, DeviceFileEvents | project Timestamp, DeviceId, DeviceName, ActionType, FileName, SHA1, InitiatingProcessAccountName | take ${ROWS}`;
await step(`Graph runHuntingQuery (${ROWS} rows)`, async () => {
  const r = await call(`${em.origin}/v1.0/security/runHuntingQuery`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ Query: QUERY }) });
  if (r.status !== 200) throw new Error(`${r.status} ${r.text()}`);
  return { requests: 1, bytes: r.bytes, items: r.json().results.length };
});
await step(`Defender advancedhunting (${ROWS} rows)`, async () => {
  const r = await call(`${em.origin}/api/advancedhunting/run`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify({ Query: QUERY }) });
  if (r.status !== 200) throw new Error(`${r.status} ${r.text()}`);
  return { requests: 1, bytes: r.bytes, items: r.json().Results.length };
});

agent.destroy();
await em.stop();
const failed = results.filter((r) => r.error);
process.stdout.write(`peak RSS of this process: ${rssMb()}${failed.length ? `; ${failed.length} step(s) failed` : ''}\n`);
process.exitCode = failed.length ? 1 : 0;
