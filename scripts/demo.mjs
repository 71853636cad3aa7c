#!/usr/bin/env node
// The demo (npm run demo; --no-build when the package is built already): builds the package, starts the Defender emulator on 127.0.0.1, and runs every action through
// the run-action harness exactly as an engine would (Ping, the incident actions, the alert actions, the device actions, blocking indicators and disabling a user, the hunting actions, the daemons), printing a readable account of each step. Exits 0 when every
// step behaved as expected (a step that is meant to fail must fail with the expected error code).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const out = (s = '') => process.stdout.write(`${s}\n`);
const harnessPath = path.join(root, 'scripts', 'run-action');
const harness = require(harnessPath);

function run(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** An incident (its alerts read in process, as a test would) whose evidence names a file, a URL and a user with one identity account, enabled. */
function containmentIncident(em) {
  const caller = { clientId: 'demo', appDisplayName: 'demo', roles: new Set(['SecurityAlert.Read.All']), tenantId: em.tenantId };
  const accounts = em.identityAccounts();
  // one identity account with that UPN (seeded UPNs can repeat), enabled, so that the demo's disable changes it
  const unique = (u) => typeof u === 'string' && accounts.filter((a) => String(a.userPrincipalName).toLowerCase() === u.toLowerCase()).map((a) => a.isEnabled).join() === 'true';
  const type = (e) => String(e['@odata.type']).replace('#microsoft.graph.security.', '');
  const byIncident = new Map();
  for (let skip = 0; skip < 20_000; skip += 1000) {
    const page = em.tenant.graph({ method: 'GET', path: '/v1.0/security/alerts_v2', rawQuery: `$top=1000&$skip=${skip}`, rawBody: '', headers: {}, origin: em.origin, caller, now: em.now() });
    const alerts = page?.body?.value ?? [];
    for (const a of alerts) byIncident.set(a.incidentId, [...(byIncident.get(a.incidentId) ?? []), ...(a.evidence ?? [])]);
    if (alerts.length < 1000) break;
  }
  for (const [incident, ev] of byIncident) {
    const file = ev.find((e) => type(e) === 'fileEvidence')?.fileDetails?.sha256;
    const url = ev.find((e) => type(e) === 'urlEvidence')?.url;
    const user = ev.map((e) => e.userAccount?.userPrincipalName).find(unique);
    if (file && url && user) return { incident, file, url, user };
  }
  throw new Error('no seeded incident has a file, a URL and a user in its evidence');
}

async function main() {
  out('Microsoft 365 Defender for SOAR: demo on the local Defender emulator\n');
  if (process.argv.includes('--no-build')) out('1. Build: skipped (--no-build)\n');
  else {
    out('1. Build (type check, action bundles)');
    const build = await run(process.execPath, [path.join(root, 'scripts', 'build.mjs')], process.env);
    if (build.code !== 0) {
      process.stderr.write(build.stderr);
      throw new Error('the build failed');
    }
    out(`   ${build.stderr.trim().split('\n').at(-1)}\n`);
  }

  const { startEmulator } = require(path.join(root, 'build', 'test', 'emulator', 'emulator.js'));
  // machine actions take 1 s Pending and 1 s InProgress, so the containment steps finish in a few seconds
  const em = await startEmulator({ port: 0, seed: 1, incidents: 60, quotas: true, machineActionSeconds: { pending: 1, running: 1 } });
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'm365d-demo-'));
  out(`2. The emulator serves Entra ID, Microsoft Graph, the Defender XDR API and the Defender for Endpoint API at ${em.url}`);
  out(`   tenant ${em.tenantId}; apps: ${em.apps.map((a) => `${a.name} (${a.roles.length} roles)`).join(', ')}\n`);

  // without this machine's own M365D_* settings or Azure identity (AZURE_*, IDENTITY_*, MSI_*, IMDS_*)
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(M365D|AZURE|IDENTITY|MSI|IMDS)_/.test(k)));
  const certonly = em.app('certonly');
  const nohunting = em.app('nohunting');
  const remember = {};
  const steps = [
    { title: 'Ping on Microsoft Graph with a client secret, checking hunting too', action: 'ping', env: em.env, params: ['check_hunting=true'], expect: 0 },
    { title: 'Ping again: the token now comes from the cache (no request to Entra ID)', action: 'ping', env: em.env, params: [], expect: 0, tokenRequests: 0 },
    { title: 'Ping on the Defender XDR API (the API Microsoft retires on 1 February 2027)', action: 'ping', env: em.legacyEnv, params: ['check_hunting=true'], expect: 0 },
    {
      title: 'Ping with a client certificate instead of a secret',
      action: 'ping',
      env: { ...em.env, M365D_CLIENT_ID: certonly.clientId, M365D_CLIENT_SECRET: '', M365D_CLIENT_CERTIFICATE: `${certonly.privateKeyPem}\n${certonly.certificatePem}` },
      params: [],
      expect: 0,
    },
    {
      title: 'Ping with the host\'s managed identity (the emulator plays the Azure Instance Metadata Service on loopback): no secret, no tenant, no request to Entra ID',
      action: 'ping',
      env: em.managedIdentityEnv('imds'),
      params: [],
      expect: 0,
      tokenRequests: 0,
      check: (result) => result.json_result.credential === 'managed_identity' && result.json_result.managed_identity_source === 'DefaultToImds',
    },
    {
      title: 'Ping with an app that lacks the hunting permission: a clear PERMISSION failure',
      action: 'ping',
      env: { ...em.env, M365D_CLIENT_ID: nohunting.clientId, M365D_CLIENT_SECRET: nohunting.clientSecret },
      params: ['check_hunting=true'],
      expect: 1,
      code: 'PERMISSION',
    },
    { title: 'Ping with a wrong secret: Entra ID\'s AADSTS error, naming the setting to fix', action: 'ping', env: { ...em.env, M365D_CLIENT_SECRET: 'not-the-secret' }, params: [], expect: 1, code: 'AUTHENTICATION' },
    {
      title: 'Search Incidents: the newest active or in-progress high-severity incidents',
      action: 'search-incidents',
      env: em.env,
      params: ['status=Active, In Progress', 'severity=High', 'max_results=5'],
      expect: 0,
      after: (r) => (remember.id = r.json_result.incidents[0]?.id),
    },
    {
      title: 'Get Incident: the first of them, with its alerts and evidence (on the Defender XDR API this time)',
      action: 'get-incident',
      env: em.legacyEnv,
      params: () => [`incident_id=${remember.id}`],
      expect: 0,
      // the device of the incident's evidence: the containment steps below isolate it
      after: (r) => (remember.device = (r.json_result.incident?.alerts ?? []).flatMap((a) => a.evidence ?? []).find((e) => String(e['@odata.type']).endsWith('deviceEvidence') && e.deviceDnsName)?.deviceDnsName),
    },
    {
      title: 'Update Incident: classify it, with a determination checked against the classification',
      action: 'update-incident',
      env: em.env,
      params: () => [`incident_id=${remember.id}`, 'status=In Progress', 'classification=True Positive', 'determination=Malware', 'tags=demo'],
      expect: 0,
    },
    {
      title: 'Update Incident with a determination the classification does not allow: refused before anything is sent',
      action: 'update-incident',
      env: em.env,
      params: () => [`incident_id=${remember.id}`, 'classification=False Positive', 'determination=Malware'],
      expect: 2,
      code: 'INVALID_INPUT',
    },
    { title: 'Add Comment To Incident', action: 'add-comment-to-incident', env: em.env, params: () => [`incident_id=${remember.id}`, "comment=Contained by the demo playbook; user's laptop isolated."], expect: 0 },
    {
      title: 'Isolate Device: the device of the incident\'s evidence, by its host name, on the Defender for Endpoint API; the machine action is followed until it has Succeeded',
      action: 'isolate-device',
      env: em.env,
      params: ['comment=Isolated by the demo playbook (malware incident)', 'isolation_type=Full'],
      entities: () => [`HOSTNAME:${remember.device}`],
      expect: 0,
      check: (result) => result.result_value === true && result.json_result.devices[0]?.outcome === 'succeeded' && result.json_result.devices[0].machine_action.status === 'Succeeded',
      after: (r) => (remember.action = r.json_result.machine_action_ids[0]),
    },
    { title: 'Get Machine Action: the isolation, by the id the last step gave', action: 'get-machine-action', env: em.env, params: () => [`machine_action_id=${remember.action}`], expect: 0, check: (result) => result.json_result.machine_action?.status === 'Succeeded' },
    {
      title: 'Release Device From Isolation: the same device, followed until it has Succeeded',
      action: 'release-device-from-isolation',
      env: em.env,
      params: ['comment=Released by the demo playbook: the device was cleaned'],
      entities: () => [`HOSTNAME:${remember.device}`],
      expect: 0,
      check: (result) => result.result_value === true && result.json_result.devices[0]?.outcome === 'succeeded',
    },
    {
      title: 'Search Alerts: the newest new, not yet classified high- or medium-severity alerts from Defender for Endpoint, with their evidence (alerts are on Microsoft Graph whatever the configured API)',
      action: 'search-alerts',
      env: em.env,
      params: ['status=New', 'classification=Unknown', 'severity=High, Medium', 'service_source=Microsoft Defender for Endpoint', 'include_evidence=true', 'max_results=3'],
      expect: 0,
      after: (r) => (remember.alertId = r.json_result.alerts[0]?.id),
    },
    {
      title: 'Update Alert: classify it, assign it and note the ticket in its custom details; only what changes is sent',
      action: 'update-alert',
      env: em.env,
      params: () => [`alert_id=${remember.alertId}`, 'status=In Progress', 'classification=True Positive', 'determination=Malware', 'assign_to=soc-analyst@contoso.com', 'custom_details={"ticket": "DEMO-42"}'],
      expect: 0,
    },
    {
      title: 'Update Alert again, as a playbook re-running the step would: it already is as asked, so nothing is sent and the step completes',
      action: 'update-alert',
      env: em.env,
      params: () => [`alert_id=${remember.alertId}`, 'status=In Progress', 'classification=True Positive', 'determination=Malware', 'assign_to=soc-analyst@contoso.com', 'custom_details={"ticket": "DEMO-42"}'],
      expect: 0,
      check: (result) => result.json_result.changes.length === 0,
    },
    { title: 'Add Comment To Alert', action: 'add-comment-to-alert', env: em.env, params: () => [`alert_id=${remember.alertId}`, 'comment=Triaged by the demo playbook: malware, device queued for isolation.'], expect: 0 },
    {
      title: 'Get Incident: an incident whose evidence holds a file, a URL and a user, the three a phishing playbook contains',
      action: 'get-incident',
      env: em.env,
      before: () => (remember.containment = containmentIncident(em)),
      params: () => [`incident_id=${remember.containment.incident}`],
      expect: 0,
    },
    {
      title: 'Submit Indicators: block the incident\'s file hash (SHA-256, typed by its length) and URL everywhere, on the Defender for Endpoint API',
      action: 'submit-indicators',
      env: em.env,
      params: () => ['action=Block', 'severity=High', 'generate_alert=true', 'expiration=30d', `title=Blocked from incident ${remember.containment.incident}`],
      entities: () => [`FILEHASH:${remember.containment.file}`, `DestinationURL:${remember.containment.url}`],
      expect: 0,
      check: (result) => result.json_result.indicators.length === 2 && result.json_result.indicators.every((i) => i.status === 'success'),
    },
    {
      title: 'Disable Account: take the incident\'s user away (Defender for Identity on Microsoft Graph; the provider chosen from the account\'s own)',
      action: 'disable-account',
      env: em.env,
      params: [],
      entities: () => [`USERUNIQNAME:${remember.containment.user}`],
      expect: 0,
      check: (result) => result.entities[0]?.status === 'success' && em.identityAccounts().some((a) => String(a.userPrincipalName).toLowerCase() === remember.containment.user.toLowerCase() && a.isEnabled === false),
    },
    {
      title: 'Disable Account again, as a playbook re-running the step would: the account already is disabled, so nothing is sent',
      action: 'disable-account',
      env: em.env,
      params: [],
      entities: () => [`USERUNIQNAME:${remember.containment.user}`],
      expect: 0,
      check: (result) => /already is disabled/.test(result.entities[0]?.message ?? ''),
    },
    {
      title: 'Execute Query: mimikatz or rclone on any device in the last week, two tables, sorted by a field it does not return',
      action: 'execute-query',
      env: em.env,
      params: ['table_names=DeviceProcessEvents, DeviceFileEvents', 'query=| where FileName in~ ("MIMIKATZ.EXE", "rclone.exe") // the limit still applies', 'time_frame=Last Week', 'fields_to_return=Timestamp, DeviceName, FileName', 'sort_field=ReportId', 'max_results_to_return=5'],
      expect: 0,
    },
    { title: 'Execute Custom Query: your own KQL, the limit added on a line of its own', action: 'execute-custom-query', env: em.legacyEnv, params: ['query=DeviceInfo | summarize Devices = count() by OSPlatform', 'max_results_to_return=10'], expect: 0 },
    {
      title: 'Execute Entity Query: hunt for the case\'s entities; each table is filtered on its own columns',
      action: 'execute-entity-query',
      env: em.env,
      params: ['table_names=DeviceNetworkEvents, DeviceLogonEvents', 'time_frame=Last Month', 'fields_to_return=Timestamp, DeviceName, ActionType', 'max_results_to_return=5'],
      entities: () => [`HOSTNAME:${remember.device ?? 'HR-001.CONTOSO.COM'}`, 'ADDRESS:203.0.113.7'],
      expect: 0,
    },
    {
      title: 'Incidents Daemon, first run: the incidents changed in the last hour (the demo\'s update and comment), oldest first; the engine keeps no state here, so the checkpoint goes to M365D_STATE_DIR',
      action: 'incidents-daemon',
      env: em.env,
      params: ['first_fetch=1h', 'include_alerts=false'],
      expect: 0,
      check: (result) => result.json_result.some((i) => i.id === remember.id),
    },
    {
      title: 'Incidents Daemon, second run, after a new incident arrived and an analyst moved it to In Progress: only that incident comes, in its newest version',
      action: 'incidents-daemon',
      env: em.env,
      before: () => {
        const other = em.addIncident({ displayName: 'Suspicious inbox rule created', severity: 'high' });
        remember.daemonId = String(em.updateIncident(String(other.id), { status: 'inProgress' }).id);
      },
      params: ['first_fetch=1h', 'include_alerts=false'],
      expect: 0,
      check: (result) => result.json_result.length === 1 && result.json_result[0].id === remember.daemonId && result.json_result[0].status === 'inProgress',
    },
    {
      title: 'Alerts Daemon: the alerts changed in the last hour, oldest first, each version once (the demo\'s update and comment among them), with their evidence; its checkpoint has a file of its own',
      action: 'alerts-daemon',
      env: em.env,
      params: ['first_fetch=1h'],
      expect: 0,
      check: (result) => result.json_result.some((a) => a.id === remember.alertId && a.assignedTo === 'soc-analyst@contoso.com'),
    },
  ];

  let failures = 0;
  let n = 3;
  try {
    for (const step of steps) {
      if (step.before) step.before();
      const params = typeof step.params === 'function' ? step.params() : step.params;
      out(`${n++}. ${step.title}`);
      out(`   $ npm run action -- ${step.action} ${params.map((p) => `--param ${JSON.stringify(p)}`).join(' ')}`.trimEnd());
      const before = em.requests().filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length;
      const env = { ...base, ...step.env, M365D_STATE_DIR: state, M365D_LOG_LEVEL: 'warn' };
      const entities = typeof step.entities === 'function' ? step.entities() : (step.entities ?? []);
      if (entities.length) out(`     ${entities.map((e) => `--entity ${JSON.stringify(e)}`).join(' ')}`);
      const r = await run(process.execPath, [harnessPath, step.action, '--json', ...params.flatMap((p) => ['--param', p]), ...entities.flatMap((e) => ['--entity', e])], env);
      let result;
      try {
        result = JSON.parse(r.stdout);
        out(harness.render(result, { name: step.action }, r.code).trimEnd().split('\n').map((l) => `   ${l}`).join('\n'));
      } catch {
        out(`   (no JSON result) ${r.stdout}${r.stderr}`);
      }
      const tokenRequests = em.requests().filter((q) => q.path.endsWith('/oauth2/v2.0/token')).length - before;
      const ok = r.code === step.expect && (!step.code || result?.error?.code === step.code) && (step.tokenRequests === undefined || tokenRequests === step.tokenRequests) && (!step.check || (result !== undefined && step.check(result)));
      if (step.tokenRequests !== undefined) out(`   token requests to Entra ID during this step: ${tokenRequests}`);
      out(ok ? '   -> as expected\n' : `   -> NOT as expected (exit ${r.code}, wanted ${step.expect}${step.code ? ` with ${step.code}` : ''})\n`);
      if (!ok) failures++;
      else if (step.after) step.after(result);
    }
  } finally {
    await em.stop();
    fs.rmSync(state, { recursive: true, force: true });
  }
  out(`Try it yourself: npm run --silent emulator -- --port 8443 (its first line holds the M365D_* variables), then npm run action -- ping.`);
  if (failures) throw new Error(`${failures} step(s) did not behave as expected`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`demo: ${err.message}\n`);
    process.exit(1);
  },
);
