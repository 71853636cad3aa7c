// Device resolution, the device actions' shared run (lib/defender/containment.ts) and the status follower
// (lib/defender/follow.ts), against a stand-in transport: no network, no waiting (the follower's clock and sleep are
// injected; the action runs with wait_for_completion false, or with a deadline that leaves no room to wait).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheKey } from '../../../lib/auth';
import { TokenCache } from '../../../lib/auth/cache';
import { createDefenderApi } from '../../../lib/defender/api';
import { marginMs, runDeviceAction, sha1sOf, targetsOf, type DeviceActionParams } from '../../../lib/defender/containment';
import { isolationState, readDevices } from '../../../lib/defender/device-reads';
import { followActions } from '../../../lib/defender/follow';
import { findMachinesByIp, findMachinesByName, getMachine, machineActionsOf, type MachineAction } from '../../../lib/defender/machines';
import { TransportError, type HttpRequest, type HttpResponse, type Transport } from '../../../lib/http';
import type { ActionContext } from '../../../lib/runtime/action';
import { loadConfig } from '../../../lib/runtime/config';
import { ActionError } from '../../../lib/runtime/errors';
import { resolveEntities } from '../../../lib/runtime/entities';
import type { Logger } from '../../../lib/runtime/log';
import { syncActionErrorOf } from '../../support/errors';

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {}, enabled: () => false };
const ID = (n: number) => n.toString(16).padStart(40, 'a');
const machine = (n: number, dns: string, extra: Record<string, unknown> = {}) => ({ id: ID(n), computerDnsName: dns, lastIpAddress: `10.0.0.${n}`, osPlatform: 'Windows11', ...extra });
const action = (id: string, machineId: string, type: string, status: string, extra: Record<string, unknown> = {}): MachineAction =>
  ({ id, type, status, machineId, requestorComment: 'c', creationDateTimeUtc: '2026-12-01T10:00:00Z', ...extra }) as MachineAction;
const SHA1_A = '3395856ce81f2b7382dee72602f798b642f14140';
const SHA1_B = '4dd18b6ad3f22b8d4c1a0e2e4bb1f3f6e29d9a11';
const guid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

type Route = (r: HttpRequest, url: URL) => HttpResponse | undefined | Promise<HttpResponse | undefined>;
const json = (status: number, body: unknown): HttpResponse => ({ status, headers: {}, body: JSON.stringify(body) });

function setup(routes: Route[]) {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'machines-'));
  const config = loadConfig({ M365D_TENANT_ID: '11111111-2222-3333-4444-555555555555', M365D_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', M365D_CLIENT_SECRET: 'machines-test-secret', M365D_STATE_DIR: stateDir });
  const scope = 'https://api.securitycenter.microsoft.com/.default';
  new TokenCache(stateDir, cacheKey(config, scope)).write({ accessToken: 'mde-token', expiresOn: Math.floor(Date.now() / 1000) + 3600, scope, tokenType: 'Bearer' });
  const sent: HttpRequest[] = [];
  const transport: Transport = {
    async send(r) {
      sent.push(r);
      const url = new URL(r.url);
      for (const route of routes) {
        const answer = await route(r, url);
        if (answer) return answer;
      }
      return json(404, { error: { code: 'NotFound', message: `no route for ${r.method} ${url.pathname}` } });
    },
  };
  const api = createDefenderApi({ config, log: silent, deadline: Date.now() + 20_000, addSecret() {}, transport, resource: 'machines' });
  return { config, api, sent, transport };
}

const filterOf = (url: URL) => url.searchParams.get('$filter') ?? '';

describe('devices (lib/defender/machines.ts)', () => {
  it('finds a short host name by the first label of computerDnsName, in any case, with one quoted startswith of the label as given', async () => {
    const { api, sent } = setup([
      (_r, url) => (url.pathname === '/api/machines' ? json(200, { value: [machine(1, 'ws-01.contoso.com'), machine(2, 'ws-010.contoso.com'), machine(3, 'WS-01')] }) : undefined),
    ]);
    const found = await findMachinesByName(api, 'WS-01');
    expect(found.map((m) => m.id)).to.deep.equal([ID(1), ID(3)]);
    expect(filterOf(new URL(sent[0]!.url))).to.equal("startswith(computerDnsName,'WS-01')");
    expect(sent[0]!.url).to.match(/^https:\/\/api\.security\.microsoft\.com\/api\/machines\?\$filter=startswith%28computerDnsName%2C%27WS-01%27%29&\$top=1000$/);
    expect(sent).to.have.length(1);
    // a DNS name matches computerDnsName whole (or a machine known by that first label only)
    expect((await findMachinesByName(api, 'ws-01.Contoso.com.')).map((m) => m.id)).to.deep.equal([ID(1), ID(3)]);
    expect((await findMachinesByName(api, 'ws-01.fabrikam.com')).map((m) => m.id)).to.deep.equal([ID(3)]);
    // a quote in a value is doubled by the one OData literal function
    await findMachinesByName(api, "o'brien-pc");
    expect(filterOf(new URL(sent.at(-1)!.url))).to.equal("startswith(computerDnsName,'o''brien-pc')");
  });

  it('asks once more lower-cased only when the name as given matches nothing (startswith\'s case is not documented)', async () => {
    // a service whose startswith is case-sensitive
    const { api, sent } = setup([
      (_r, url) => (url.pathname === '/api/machines' ? json(200, { value: [machine(1, 'ws-01.contoso.com'), machine(2, 'Lab-PC.contoso.com')].filter((m) => m.computerDnsName.startsWith(/'(.*)'/.exec(filterOf(url))![1]!)) }) : undefined),
    ]);
    expect((await findMachinesByName(api, 'WS-01.Contoso.com')).map((m) => m.id)).to.deep.equal([ID(1)]);
    expect(sent.map((r) => filterOf(new URL(r.url)))).to.deep.equal(["startswith(computerDnsName,'WS-01')", "startswith(computerDnsName,'ws-01')"]);
    // found as given: not asked again; lower case given: not asked twice
    expect((await findMachinesByName(api, 'Lab-PC')).map((m) => m.id)).to.deep.equal([ID(2)]);
    expect(await findMachinesByName(api, 'ghost')).to.deep.equal([]);
    expect(sent.slice(2).map((r) => filterOf(new URL(r.url)))).to.deep.equal(["startswith(computerDnsName,'Lab-PC')", "startswith(computerDnsName,'ghost')"]);
  });

  it('finds devices by IP with findbyip at the given time, and refuses what is not an address before sending', async () => {
    const { api, sent } = setup([(_r, url) => (url.pathname.startsWith('/api/machines/findbyip') ? json(200, { value: [machine(4, 'db-1')] }) : undefined)]);
    const found = await findMachinesByIp(api, ' 10.1.2.3 ', new Date('2026-12-02T03:04:05.678Z'));
    expect(found.map((m) => m.computerDnsName)).to.deep.equal(['db-1']);
    expect(new URL(sent[0]!.url).pathname).to.equal("/api/machines/findbyip(ip='10.1.2.3',timestamp=2026-12-02T03:04:05Z)");
    let error: { code?: string; message?: string } = {};
    await findMachinesByIp(api, "10.0.0.1') or (1", new Date()).catch((e: { code?: string; message?: string }) => (error = e));
    expect(error.code).to.equal('INVALID_INPUT');
    expect(sent).to.have.length(1);
  });

  it('takes a findbyip answer with a nextLink for API_ERROR: one page is documented, and a partial answer could hide an ambiguity', async () => {
    const { api } = setup([(_r, url) => (url.pathname.startsWith('/api/machines/findbyip') ? json(200, { value: [machine(4, 'db-1')], '@odata.nextLink': 'https://api.security.microsoft.com/api/machines/findbyip?$skip=1' }) : undefined)]);
    let error: { code?: string; message?: string } = {};
    await findMachinesByIp(api, '10.1.2.3', new Date()).catch((e: { code?: string; message?: string }) => (error = e));
    expect(error.code).to.equal('API_ERROR');
    expect(error.message).to.match(/with a page of machines with @odata\.nextLink; expected one page of machines/);
  });

  it('reads a device by id (404: undefined), checks the id, and takes a wrong shape for API_ERROR, never "not found"', async () => {
    const { api, sent } = setup([
      (_r, url) => (url.pathname === `/api/machines/${ID(1)}` ? json(200, machine(1, 'ws-01')) : undefined),
      (_r, url) => (url.pathname === `/api/machines/${ID(2)}` ? json(200, { computerDnsName: 'no-id' }) : undefined),
    ]);
    expect((await getMachine(api, ID(1).toUpperCase()))?.computerDnsName).to.equal('ws-01');
    expect(await getMachine(api, ID(9))).to.equal(undefined);
    let error: { code?: string; message?: string } = {};
    await getMachine(api, ID(2)).catch((e: { code?: string; message?: string }) => (error = e));
    expect(error.code).to.equal('API_ERROR');
    expect(error.message).to.match(/a machine whose 'id' is/);
    expect(syncActionErrorOf('INVALID_INPUT', () => targetsOf('abc', []))).to.match(/'device_ids' must hold Defender for Endpoint machine ids \(40 hexadecimal digits/);
    expect(syncActionErrorOf('INVALID_INPUT', () => targetsOf('', []))).to.match(/No device given: give 'device_ids'/);
    expect(sent.map((r) => new URL(r.url).pathname)).to.deep.equal([`/api/machines/${ID(1)}`, `/api/machines/${ID(9)}`, `/api/machines/${ID(2)}`]);
  });
});

/** An action context for runDeviceAction, with the entities resolved as the runtime does. */
function context(config: ReturnType<typeof loadConfig>, params: DeviceActionParams, targets: Array<{ Identifier: string; EntityType: string }>, deadlineMs = 20_000): ActionContext<DeviceActionParams> {
  const { entities } = resolveEntities(targets, 'All entities', ['HOSTNAME', 'ADDRESS', 'FILEHASH']);
  const deadline = Date.now() + deadlineMs;
  return {
    params, config, entities, log: silent, caseId: 'c1', alertGroupIdentifiers: [], state: undefined, deadline,
    signal: new AbortController().signal, remainingMs: () => deadline - Date.now(), addSecret() {}, onExit() {},
  };
}

describe('the device actions\' run (lib/defender/containment.ts)', () => {
  const isolate = { type: 'Isolate' as const, what: 'isolating', asked: 'isolated', body: { IsolationType: 'Full' }, opposite: 'Unisolate' as const, scope: 'Full' };

  it('acts on each device found once, reports an unknown and an ambiguous name in their own outcomes, and says which were sent', async () => {
    const posts: string[] = [];
    const { config, transport } = setup([
      (_r, url) => (url.pathname === `/api/machines/${ID(1)}` ? json(200, machine(1, 'ws-01.contoso.com')) : undefined),
      (_r, url) => {
        if (url.pathname !== '/api/machines') return undefined;
        const f = filterOf(url);
        if (f.includes("'ws-01'")) return json(200, { value: [machine(1, 'ws-01.contoso.com')] });
        if (f.includes("'twin'")) return json(200, { value: [machine(5, 'twin.contoso.com'), machine(6, 'twin.fabrikam.com')] });
        return json(200, { value: [] });
      },
      (_r, url) => (url.pathname.startsWith('/api/machines/findbyip') ? json(200, { value: [machine(4, 'db-1')] }) : undefined),
      (_r, url) => (url.pathname === '/api/machineactions' ? json(200, { value: filterOf(url).includes(ID(4)) ? [action(guid(9), ID(4), 'Isolate', 'Succeeded', { scope: 'Full' })] : [] }) : undefined),
      (r, url) => {
        const m = /^\/api\/machines\/([0-9a-f]{40})\/isolate$/.exec(url.pathname);
        if (!m || r.method !== 'POST') return undefined;
        posts.push(r.body!);
        return json(201, action(guid(posts.length), m[1]!, 'Isolate', 'Pending'));
      },
    ]);
    const ctx = context(config, { comment: ' case 7 ', device_ids: ID(1).toUpperCase(), wait_for_completion: false }, [
      { Identifier: 'WS-01', EntityType: 'HOSTNAME' },
      { Identifier: 'ghost', EntityType: 'HOSTNAME' },
      { Identifier: 'twin', EntityType: 'HOSTNAME' },
      { Identifier: '10.0.0.4', EntityType: 'ADDRESS' },
    ]);
    const out = await runDeviceAction(ctx, isolate, { transport: transport });
    // device 1 is named twice (device_ids and WS-01): one POST; device 4 is already isolated: no POST
    expect(posts).to.deep.equal(['{"Comment":"case 7","IsolationType":"Full"}']);
    expect(out.json_result.devices.map((d) => [d.source, d.given, d.outcome])).to.deep.equal([
      ['HOSTNAME', 'ghost', 'not_found'],
      ['HOSTNAME', 'twin', 'ambiguous'],
      ['device_ids', ID(1), 'requested'],
      ['HOSTNAME', 'WS-01', 'requested'],
      ['ADDRESS', '10.0.0.4', 'already'],
    ]);
    expect(out.json_result.devices[1]!.candidates!.map((c) => c.id)).to.deep.equal([ID(5), ID(6)]);
    expect(out.json_result.machine_action_ids).to.deep.equal([guid(1), guid(9)]);
    expect(out.entities!.map((e) => [e.Identifier, e.status])).to.deep.equal([['WS-01', 'success'], ['ghost', 'not_found'], ['twin', 'failed'], ['10.0.0.4', 'success']]);
    expect(out.entities![2]!.message).to.match(/twin names 2 devices .*none was chosen/);
    expect(out.result_value).to.equal(false);
  });

  it('a duplicate ("already in progress") follows the pending action; a reset on the POST is never sent again and finds the action by its comment', async () => {
    let posts = 0;
    const { config, transport } = setup([
      (_r, url) => (url.pathname === `/api/machines/${ID(1)}` ? json(200, machine(1, 'ws-01')) : url.pathname === `/api/machines/${ID(2)}` ? json(200, machine(2, 'ws-02')) : undefined),
      (_r, url) => {
        if (url.pathname !== '/api/machineactions') return undefined;
        if (filterOf(url).includes(ID(1))) return json(200, { value: [action(guid(7), ID(1), 'RunAntiVirusScan', 'InProgress')] });
        return json(200, { value: posts ? [action(guid(8), ID(2), 'RunAntiVirusScan', 'Pending', { requestorComment: 'scan it', creationDateTimeUtc: new Date().toISOString() })] : [] });
      },
      (r, url) => {
        if (r.method !== 'POST') return undefined;
        posts++;
        if (url.pathname.includes(ID(1))) return json(400, { error: { code: 'ActiveRequestAlreadyExists', message: 'Action is already in progress', target: 'x' } });
        throw new TransportError('network', 'The connection to api.security.microsoft.com failed (ECONNRESET).', true, 'ECONNRESET');
      },
    ]);
    const ctx = context(config, { comment: 'scan it', device_ids: `${ID(1)},${ID(2)}`, wait_for_completion: false }, []);
    const out = await runDeviceAction(ctx, { type: 'RunAntiVirusScan', what: 'running an antivirus scan', asked: 'scanned', body: { ScanType: 'Quick' } }, { transport: transport });
    expect(posts).to.equal(2);
    expect(out.json_result.devices.map((d) => [d.device_id, d.outcome, d.machine_action?.id])).to.deep.equal([[ID(1), 'requested', guid(7)], [ID(2), 'requested', guid(8)]]);
    expect(out.json_result.devices[0]!.message).to.match(/already in progress .*Action is already in progress.*followed/);
    expect(out.json_result.devices[1]!.message).to.match(/answer .* was lost .*ECONNRESET.*followed/);
    expect(out.result_value).to.equal(true);
  });

  it('an unknown outcome with no action listed says so, and sends nothing more; PERMISSION before any POST fails the run', async () => {
    let posts = 0;
    const { config, transport } = setup([
      (_r, url) => (url.pathname === `/api/machines/${ID(1)}` ? json(200, machine(1, 'ws-01')) : undefined),
      (_r, url) => (url.pathname === '/api/machineactions' ? json(200, { value: [] }) : undefined),
      (r) => (r.method === 'POST' ? (posts++, json(504, { error: { code: 'GatewayTimeout', message: 'upstream timed out' } })) : undefined),
    ]);
    const ctx = context(config, { comment: 'c', device_ids: ID(1), wait_for_completion: true }, []);
    const out = await runDeviceAction(ctx, { type: 'CollectInvestigationPackage', what: 'collecting an investigation package', asked: 'collected', withPackage: true }, { transport: transport });
    expect(posts).to.equal(1);
    expect(out.json_result.devices[0]!.outcome).to.equal('unknown');
    expect(out.json_result.devices[0]!.message).to.match(/outcome of collecting an investigation package ws-01 is unknown: .*HTTP 504.*may have been created .*before anything else is sent/);

    const denied = setup([
      (_r, url) => (url.pathname === `/api/machines/${ID(1)}` ? json(200, machine(1, 'ws-01')) : undefined),
      (r) => (r.method === 'POST' ? json(403, { error: { code: 'Forbidden', message: 'Missing role' } }) : undefined),
    ]);
    let error: { code?: string; message?: string } = {};
    await runDeviceAction(context(denied.config, { comment: 'c', device_ids: ID(1) }, []), { type: 'RunAntiVirusScan', what: 'running an antivirus scan', asked: 'scanned', body: { ScanType: 'Full' } }, { transport: denied.transport }).catch((e: { code?: string; message?: string }) => (error = e));
    expect(error.code).to.equal('PERMISSION');
    expect(error.message).to.match(/Machine\.Scan .*the Defender for Endpoint API/);
  });

  /** A machine-actions list as the documentation describes it: $filter on machineId and type, $top, $skip, no nextLink. */
  const actionList = (all: () => MachineAction[], reads: string[] = []): Route => (_r, url) => {
    if (url.pathname !== '/api/machineactions') return undefined;
    const f = filterOf(url);
    reads.push(`${f} top=${url.searchParams.get('$top')} skip=${url.searchParams.get('$skip')}`);
    const machineId = /machineId eq '([^']*)'/.exec(f)?.[1];
    const types = [...f.matchAll(/type eq '([^']*)'/g)].map((m) => m[1]!);
    const matched = all().filter((a) => a.machineId === machineId && (types.length === 0 || types.includes(a.type)));
    const skip = Number(url.searchParams.get('$skip') ?? 0);
    return json(200, { value: matched.slice(skip, skip + Number(url.searchParams.get('$top') ?? 10_000)) });
  };
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

  it('reads the device\'s Isolate and Unisolate actions by a typed $filter on every page: a newer Unisolate on page 2 is not "already isolated"', async () => {
    // oldest first (the list's order is not documented): 1,501 Isolate/Unisolate, the newest an Unisolate; 600 scans
    const history: MachineAction[] = [];
    for (let i = 0; i <= 1500; i++) history.push(action(guid(i), ID(1), i % 2 ? 'Isolate' : 'Unisolate', 'Succeeded', { scope: 'Full', creationDateTimeUtc: at(3000 - i) }));
    for (let i = 0; i < 600; i++) history.unshift(action(guid(5000 + i), ID(1), 'RunAntiVirusScan', 'Succeeded', { creationDateTimeUtc: at(1) }));
    // page 1 (as one untyped page of 1,000 would have it) ends with an Isolate
    expect(history.slice(0, 1000).filter((a) => a.type !== 'RunAntiVirusScan').at(-1)!.type).to.equal('Isolate');
    const reads: string[] = [];
    let posts = 0;
    const { config, transport } = setup([
      (_r, url) => (url.pathname === `/api/machines/${ID(1)}` ? json(200, machine(1, 'ws-01')) : undefined),
      actionList(() => history, reads),
      (r) => (r.method === 'POST' ? (posts++, json(201, action(guid(9999), ID(1), 'Isolate', 'Pending', { creationDateTimeUtc: new Date().toISOString() }))) : undefined),
    ]);
    const out = await runDeviceAction(context(config, { comment: 'c', device_ids: ID(1), wait_for_completion: false }, []), isolate, { transport });
    expect(posts).to.equal(1);
    expect(out.json_result.devices.map((d) => d.outcome)).to.deep.equal(['requested']);
    expect(reads).to.deep.equal([
      `machineId eq '${ID(1)}' and (type eq 'Isolate' or type eq 'Unisolate') top=1000 skip=null`,
      `machineId eq '${ID(1)}' and (type eq 'Isolate' or type eq 'Unisolate') top=1000 skip=1000`,
    ]);
    // Get Device reads the same way: the newest is the Unisolate on page 2
    const devices = await readDevices(context(config, { comment: 'c' }, []), ID(1), transport);
    expect(devices.map((d) => d.isolation_state)).to.deep.equal(['not isolated']);
  });

  it('bounds the pages: a list that never ends is API_ERROR and nothing is sent; a nextLink that does come is followed', async () => {
    let posts = 0;
    const endless = setup([
      (_r, url) => (url.pathname === `/api/machines/${ID(1)}` ? json(200, machine(1, 'ws-01')) : undefined),
      (_r, url) => (url.pathname === '/api/machineactions' ? json(200, { value: Array.from({ length: 1000 }, (_x, i) => action(`${url.searchParams.get('$skip') ?? 0}-${i}`, ID(1), 'Unisolate', 'Succeeded')) }) : undefined),
      (r) => (r.method === 'POST' ? (posts++, json(201, {})) : undefined),
    ]);
    const out = await runDeviceAction(context(endless.config, { comment: 'c', device_ids: ID(1) }, []), isolate, { transport: endless.transport });
    // API_ERROR is that device's failure (never "already" from a partial list), and nothing is sent
    expect(out.json_result.devices.map((d) => d.outcome)).to.deep.equal(['failed']);
    expect(out.json_result.devices[0]!.message).to.match(/answered reading the machine actions of device .* with more than 20 pages/);
    let error: { code?: string; message?: string } = {};
    await machineActionsOf(endless.api, ID(1)).catch((e: { code?: string; message?: string }) => (error = e));
    expect(error.code).to.equal('API_ERROR');
    expect(posts).to.equal(0);
    expect(endless.sent.filter((r) => r.url.includes('/api/machineactions'))).to.have.length(40);

    const linked = setup([
      (_r, url) => (url.pathname === '/api/machineactions' && !url.searchParams.has('page') ? json(200, { value: [action(guid(1), ID(1), 'Isolate', 'Succeeded')], '@odata.nextLink': `https://api.security.microsoft.com/api/machineactions?page=2` }) : undefined),
      (_r, url) => (url.pathname === '/api/machineactions' ? json(200, { value: [action(guid(2), ID(1), 'Unisolate', 'Succeeded', { creationDateTimeUtc: '2026-12-01T11:00:00Z' })] }) : undefined),
    ]);
    expect((await machineActionsOf(linked.api, ID(1), ['Isolate', 'Unisolate'])).map((a) => a.id)).to.deep.equal([guid(2), guid(1)]);
    expect(linked.sent.map((r) => new URL(r.url).search)).to.have.length(2);
  });

  it('after a lost answer adopts only an action created since the POST (30 s of skew) and not read before it: a reused comment\'s earlier action is not taken', async () => {
    let posts = 0;
    const history: MachineAction[] = [
      // an earlier isolate with the same comment, failed 10 s ago (read before the POST), and a scan 2 minutes ago
      action(guid(1), ID(1), 'Isolate', 'Failed', { requestorComment: 'fixed', creationDateTimeUtc: at(1 / 6), scope: 'Full' }),
      action(guid(2), ID(2), 'RunAntiVirusScan', 'Pending', { requestorComment: 'fixed', creationDateTimeUtc: at(2) }),
    ];
    const { config, transport } = setup([
      (_r, url) => { const m = /^\/api\/machines\/([0-9a-f]{40})$/.exec(url.pathname); return m ? json(200, { id: m[1], computerDnsName: `ws-${m[1]!.slice(-1)}` }) : undefined; },
      actionList(() => history),
      (r, url) => {
        if (r.method !== 'POST') return undefined;
        posts++;
        // device 3: the POST made its action (the service's clock 20 s behind), then the answer was lost
        if (url.pathname.includes(ID(3))) history.push(action(guid(3), ID(3), 'Isolate', 'Pending', { requestorComment: 'fixed', creationDateTimeUtc: new Date(Date.now() - 20_000).toISOString(), scope: 'Full' }));
        throw new TransportError('network', 'The connection to api.security.microsoft.com failed (ECONNRESET).', true, 'ECONNRESET');
      },
    ]);
    const iso = await runDeviceAction(context(config, { comment: 'fixed', device_ids: `${ID(1)},${ID(3)}`, wait_for_completion: false }, []), isolate, { transport });
    const scan = await runDeviceAction(context(config, { comment: 'fixed', device_ids: ID(2), wait_for_completion: false }, []), { type: 'RunAntiVirusScan', what: 'running an antivirus scan', asked: 'scanned' }, { transport });
    expect(posts).to.equal(3);
    expect([...iso.json_result.devices, ...scan.json_result.devices].map((d) => [d.device_id, d.outcome, d.machine_action?.id ?? null])).to.deep.equal([
      [ID(1), 'unknown', null], [ID(3), 'requested', guid(3)], [ID(2), 'unknown', null],
    ]);
  });

  it('a 2xx answer of the wrong shape is sent with an unknown outcome; a PERMISSION error on a later device still reports it', async () => {
    const posted: string[] = [];
    const { config, transport } = setup([
      (_r, url) => { const m = /^\/api\/machines\/([0-9a-f]{40})$/.exec(url.pathname); return m ? json(200, { id: m[1], computerDnsName: `ws-${m[1]!.slice(-1)}` }) : undefined; },
      (_r, url) => (url.pathname === '/api/machineactions' ? json(200, { value: [] }) : undefined),
      (r, url) => {
        if (r.method !== 'POST') return undefined;
        posted.push(url.pathname);
        return url.pathname.includes(ID(1)) ? json(201, { id: 42, status: 'Pending' }) : json(403, { error: { code: 'Forbidden', message: 'Missing role' } });
      },
    ]);
    const out = await runDeviceAction(context(config, { comment: 'c', device_ids: `${ID(1)},${ID(2)}`, wait_for_completion: false }, []), { type: 'CollectInvestigationPackage', what: 'collecting an investigation package', asked: 'collected' }, { transport });
    expect(posted).to.have.length(2);
    expect(out.json_result.devices.map((d) => [d.device_id, d.outcome])).to.deep.equal([[ID(1), 'unknown'], [ID(2), 'failed']]);
    expect(out.json_result.devices[0]!.message).to.match(/is unknown: .*a machine action whose 'id' is .*may have been created on device .*check with Get Machine Action/);
    expect(out.json_result.devices[1]!.message).to.match(/Machine\.CollectForensics/);
  });

  it('refuses a run whose only targets are malformed entities before anything is sent; beside a usable one they stay in the run (a not_sent row each)', () => {
    const { entities } = resolveEntities([{ Identifier: 'not a host!', EntityType: 'HOSTNAME' }, { Identifier: '10.0.0.999', EntityType: 'ADDRESS' }], 'All entities', ['HOSTNAME', 'ADDRESS']);
    expect(syncActionErrorOf('INVALID_INPUT', () => targetsOf(undefined, entities))).to.match(/^No usable device: HOSTNAME entity "not a host!" is not a host name \(.*\)\. ADDRESS entity "10\.0\.0\.999" is not an IPv4 or IPv6 address\. Give 'device_ids'/);
    expect(targetsOf(ID(1), entities).map((t) => t.given)).to.deep.equal([ID(1), 'not a host!', '10.0.0.999']);
  });

  it('takes SHA-1 hashes from sha1 and FILEHASH entities, and names a hash of another length before anything is sent', () => {
    const { entities } = resolveEntities([{ Identifier: SHA1_B.toUpperCase(), EntityType: 'FILEHASH' }, { Identifier: 'ws-01', EntityType: 'HOSTNAME' }], 'All entities', ['HOSTNAME', 'FILEHASH']);
    expect(sha1sOf(` ${SHA1_A}, ${SHA1_B}`, entities)).to.deep.equal([SHA1_A, SHA1_B]);
    const sha256 = 'a'.repeat(64);
    const other = resolveEntities([{ Identifier: sha256, EntityType: 'FILEHASH' }], 'All entities', ['FILEHASH']).entities;
    expect(syncActionErrorOf('INVALID_INPUT', () => sha1sOf(undefined, other))).to.equal(`FILEHASH entity "${sha256}" is a SHA-256 hash (64 hexadecimal digits); Stop And Quarantine File takes SHA-1 hashes of 40 hexadecimal digits.`);
    expect(syncActionErrorOf('INVALID_INPUT', () => sha1sOf('d41d8cd98f00b204e9800998ecf8427e', []))).to.match(/^Parameter 'sha1' holds "d41d8cd98f00b204e9800998ecf8427e" is an MD5 hash/);
    expect(syncActionErrorOf('INVALID_INPUT', () => sha1sOf('not-a-hash', []))).to.match(/is not a SHA-1/);
    expect(syncActionErrorOf('INVALID_INPUT', () => sha1sOf('', []))).to.match(/^No file to stop and quarantine/);
  });

  it('tells the isolation state from the latest Isolate or Unisolate', () => {
    const state = (type: string, status: string) => isolationState(action('a', 'm', type, status));
    expect([state('Isolate', 'Succeeded'), state('Isolate', 'InProgress'), state('Isolate', 'Failed'), state('Unisolate', 'Succeeded'), state('Unisolate', 'Pending'), state('Unisolate', 'Cancelled'), isolationState(undefined)])
      .to.deep.equal(['isolated', 'isolating', 'unknown', 'not isolated', 'releasing', 'unknown', 'unknown']);
  });

  it('keeps a tenth of the run (1 s to 10 s) for writing the result', () => {
    expect([marginMs(3_000), marginMs(60_000), marginMs(600_000)]).to.deep.equal([1_000, 6_000, 10_000]);
  });
});

describe('the status follower (lib/defender/follow.ts)', () => {
  const clock = (start = 0) => {
    let t = start;
    return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => (t += ms) };
  };

  it('reads each open action per round with waits of 1 s growing by half up to 10 s, until each is final', async () => {
    const c = clock();
    const reads: string[] = [];
    const script: Record<string, string[]> = { a: ['Pending', 'InProgress', 'InProgress', 'Succeeded'], b: ['Failed'] };
    const out = await followActions([action('a', 'm', 'Isolate', 'Pending'), action('b', 'm', 'Isolate', 'Pending')], async (id) => {
      reads.push(`${id}@${c.now()}`);
      c.advance(100);
      return action(id, 'm', 'Isolate', script[id]!.shift()!);
    }, { stopAt: 600_000, now: c.now, sleep: c.sleep });
    expect(out.actions.map((a) => a.status)).to.deep.equal(['Succeeded', 'Failed']);
    expect(out.waits).to.deep.equal([1000, 1500, 2250, 3375]);
    expect(reads).to.deep.equal(['a@1000', 'b@1100', 'a@2700', 'a@5050', 'a@8525']);
  });

  it('caps the wait at 10 s and stops before stopAt, keeping time for a round; what is open is returned as last read', async () => {
    const c = clock();
    let reads = 0;
    const out = await followActions([action('a', 'm', 'Isolate', 'Pending')], async (id) => (reads++, action(id, 'm', 'Isolate', 'InProgress')), { stopAt: 60_000, now: c.now, sleep: c.sleep });
    expect(out.actions[0]!.status).to.equal('InProgress');
    expect(Math.max(...out.waits)).to.equal(10_000);
    // every wait ended with room for a round (1.5 s) before stopAt, and the last one was cut to fit
    expect(c.now()).to.be.at.most(60_000 - 1_500);
    expect(out.waits.slice(0, 7)).to.deep.equal([1000, 1500, 2250, 3375, 5063, 7595, 10000]);
    expect(reads).to.equal(out.rounds);
  });

  it('does not wait at all when there is no room, and goes on after a failed read (PERMISSION stops it)', async () => {
    const c = clock();
    const none = await followActions([action('a', 'm', 'Isolate', 'Pending')], async () => {
      throw new Error('not read');
    }, { stopAt: 1_000, now: c.now, sleep: c.sleep });
    expect(none.waits).to.deep.equal([]);
    const errors: string[] = [];
    let n = 0;
    const out = await followActions([action('a', 'm', 'Isolate', 'Pending')], async (id) => {
      if (n++ === 0) throw new ActionError('THROTTLED', 'throttled (429)');
      return action(id, 'm', 'Isolate', 'Succeeded');
    }, { stopAt: 60_000, now: c.now, sleep: c.sleep, onReadError: (id, err) => errors.push(`${id}: ${err.code}`) });
    expect(out.actions[0]!.status).to.equal('Succeeded');
    expect(errors).to.deep.equal(['a: THROTTLED']);
    let error: { code?: string } = {};
    await followActions([action('a', 'm', 'Isolate', 'Pending')], async () => {
      throw new ActionError('PERMISSION', 'no Machine.Read.All');
    }, { stopAt: 60_000, now: c.now, sleep: c.sleep }).catch((e: { code?: string }) => (error = e));
    expect(error.code).to.equal('PERMISSION');
  });
});
