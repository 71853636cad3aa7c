// Test helpers for the server core's own tests: a small fake Tenant and HuntingEngine (so the core can be tested
// without the real tenant model), and an HTTPS client that trusts only the emulator's CA.
import * as https from 'node:https';
import type { FaceRequest, FaceResponse, IncidentPatch, Tenant, TenantOptions } from './tenant/api';
import { HuntingError, type HuntingEngine, type HuntingEngineOptions, type HuntingResult, type SeedAlert, type SeedEntities } from './hunting/api';

export interface FakeTenant extends Tenant {
  incidents: Array<Record<string, unknown>>;
  options: TenantOptions;
  lastRequest?: FaceRequest;
  engine?: HuntingEngine;
}

export function fakeHuntingFactory(o: HuntingEngineOptions): HuntingEngine {
  const tables: Record<string, Array<Record<string, unknown>>> = {
    DeviceInfo: o.entities.devices.map((d) => ({ Timestamp: o.now.toISOString(), DeviceId: d.deviceId, DeviceName: d.deviceName })),
  };
  return {
    run(query: string): HuntingResult {
      if (query.includes('syntax error')) throw new HuntingError(400, 'BadRequest', 'A recognition error occurred.');
      const rows = tables[query.trim()] ?? [];
      return { schema: [{ name: 'Timestamp', type: 'DateTime' }, { name: 'DeviceId', type: 'String' }, { name: 'DeviceName', type: 'String' }], rows, stats: { executionTimeSeconds: 0.01, rowsScanned: rows.length } };
    },
    addRows(table: string, rows: Array<Record<string, unknown>>): void {
      if (!tables[table]) throw new HuntingError(400, 'BadRequest', `Unknown table '${table}'.`);
      tables[table].push(...rows);
    },
    schema: () => ({ DeviceInfo: [{ name: 'Timestamp', type: 'DateTime' }, { name: 'DeviceId', type: 'String' }, { name: 'DeviceName', type: 'String' }] }),
    counts: () => Object.fromEntries(Object.entries(tables).map(([k, v]) => [k, v.length])),
  };
}

/** A fake tenant with `options.incidents` incidents; just enough of both faces to exercise the core. */
export function fakeTenantFactory(options: TenantOptions): FakeTenant {
  const incidents: Array<Record<string, unknown>> = [];
  for (let i = 1; i <= options.incidents; i++) {
    incidents.push({ id: String(i), displayName: `Incident ${i} (seed ${options.seed})`, status: 'active', severity: 'medium', lastUpdateDateTime: options.now.toISOString(), alerts: [] });
  }
  const entities: SeedEntities = {
    devices: [{ deviceId: 'dev1', deviceName: 'host1.contoso.com', aadDeviceId: 'aad1', osPlatform: 'Windows11', publicIp: '203.0.113.5', localIp: '10.0.0.5' }],
    users: [], ips: ['203.0.113.5'], urls: [], files: [], mailboxes: [],
  };
  const alerts: SeedAlert[] = [];
  const json = (status: number, body?: unknown): FaceResponse => ({ status, body });
  const forbidden = (graph: boolean): FaceResponse => graph
    ? json(403, { error: { code: 'Forbidden', message: 'Missing role permissions on the request. API requires one of \'SecurityIncident.ReadWrite.All\'.' } })
    : json(403, { error: { code: 'Forbidden', message: 'Missing application roles. API required roles: Incident.ReadWrite.All', target: 'x' } });
  const t: FakeTenant = {
    incidents,
    options,
    graph(req) {
      t.lastRequest = req;
      if (req.path === '/v1.0/security/_echo') {
        return json(200, { caller: { ...req.caller, roles: [...req.caller.roles] }, rawQuery: req.rawQuery, rawBody: req.rawBody, origin: req.origin, now: req.now.toISOString() });
      }
      if (req.path === '/v1.0/security/incidents' && req.method === 'GET') {
        const q = new URLSearchParams(req.rawQuery);
        const top = Number(q.get('$top') ?? '50');
        const skip = Number(q.get('$skip') ?? '0');
        const page = incidents.slice(skip, skip + top);
        const body: Record<string, unknown> = { '@odata.context': `${req.origin}/v1.0/$metadata#security/incidents`, value: page };
        if (skip + top < incidents.length) body['@odata.nextLink'] = `${req.origin}/v1.0/security/incidents?$top=${top}&$skip=${skip + top}`;
        return json(200, body);
      }
      const m = /^\/v1\.0\/security\/incidents\/([^/]+)$/.exec(req.path);
      if (m) {
        const inc = incidents.find((x) => x.id === m[1]);
        if (!inc) return json(404, { error: { code: 'NotFound', message: 'Incident not found' } });
        if (req.method === 'PATCH') {
          if (!req.caller.roles.has('SecurityIncident.ReadWrite.All')) return forbidden(true);
          Object.assign(inc, JSON.parse(req.rawBody || '{}') as Record<string, unknown>);
        }
        return json(200, inc);
      }
      if (req.path === '/v1.0/security/runHuntingQuery' && req.method === 'POST') {
        if (!t.engine) return json(500, { error: { code: 'UnknownError', message: '' } });
        const body = JSON.parse(req.rawBody || '{}') as { Query?: string };
        const r = t.engine.run(body.Query ?? '', { now: req.now });
        return json(200, { schema: r.schema, results: r.rows });
      }
      return undefined;
    },
    defender(req) {
      t.lastRequest = req;
      if (req.path === '/api/incidents' && req.method === 'GET') return json(200, { value: incidents.map((i) => ({ incidentId: Number(i.id), incidentName: i.displayName })) });
      const m = /^\/api\/incidents\/([^/]+)$/.exec(req.path);
      if (m) {
        const inc = incidents.find((x) => x.id === m[1]);
        if (!inc) return json(404, { error: { code: 'NotFound', message: 'Incident not found', target: 'x' } });
        if (req.method === 'PATCH' && !req.caller.roles.has('Incident.ReadWrite.All')) return forbidden(false);
        return json(200, { incidentId: Number(inc.id), incidentName: inc.displayName });
      }
      if (req.path === '/api/advancedhunting/run' && req.method === 'POST') {
        if (!t.engine) return json(500, { error: { code: 'InternalServerError', message: 'no engine', target: 'x' } });
        const body = JSON.parse(req.rawBody || '{}') as { Query?: string };
        const r = t.engine.run(body.Query ?? '', { now: req.now });
        return json(200, { Stats: {}, Schema: r.schema.map((c) => ({ Name: c.name, Type: c.type })), Results: r.rows });
      }
      return undefined;
    },
    seedEntities: () => entities,
    seedAlerts: () => alerts,
    attachHunting(engine) { t.engine = engine; },
    control: {
      addIncident(input, now) {
        const inc = { id: String(incidents.length + 1), status: 'active', severity: 'low', ...input, lastUpdateDateTime: now.toISOString(), alerts: [] };
        incidents.push(inc);
        return inc;
      },
      updateIncident(id: string, patch: IncidentPatch, now: Date) {
        const inc = incidents.find((x) => x.id === id);
        if (!inc) return undefined;
        Object.assign(inc, patch, { lastUpdateDateTime: patch.lastUpdateDateTime ?? now.toISOString() });
        return inc;
      },
      addAlert(incidentId, input, now) {
        const inc = incidents.find((x) => x.id === incidentId);
        if (!inc) return undefined;
        (inc.alerts as unknown[]).push({ id: `a${incidentId}-${(inc.alerts as unknown[]).length + 1}`, ...input });
        inc.lastUpdateDateTime = now.toISOString();
        return inc;
      },
      updateAlert(id, patch) {
        const a = incidents.flatMap((i) => i.alerts as Array<Record<string, unknown>>).find((x) => x.id === id);
        if (a) Object.assign(a, patch);
        return a;
      },
      alert: (id) => incidents.flatMap((i) => i.alerts as Array<Record<string, unknown>>).find((x) => x.id === id),
      incidentCount: () => incidents.length,
      alertCount: () => incidents.reduce((n, i) => n + (i.alerts as unknown[]).length, 0),
    },
  };
  return t;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON boundary
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** a form body (application/x-www-form-urlencoded) */
  form?: Record<string, string>;
  /** a JSON body */
  json?: unknown;
  ca?: string;
  agent?: https.Agent;
  host?: string;
}

/** One HTTPS request to the emulator, trusting only `ca`. Rejects on network errors (reset, truncation). */
export function request(url: string, o: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  let body: Buffer | undefined;
  if (o.form) { body = Buffer.from(new URLSearchParams(o.form).toString()); headers['content-type'] = 'application/x-www-form-urlencoded'; }
  else if (o.json !== undefined) { body = Buffer.from(JSON.stringify(o.json)); headers['content-type'] = 'application/json'; }
  else if (o.body !== undefined) body = Buffer.from(o.body);
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: o.method ?? (body ? 'POST' : 'GET'), headers, ca: o.ca, agent: o.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => {
        if (!res.complete) { reject(new Error('response incomplete')); return; }
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
