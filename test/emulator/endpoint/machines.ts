// GET /api/machines, /api/machines/{id}, /api/machines/findbyip(ip='…',timestamp=…).
// Sources: defender-endpoint/api/get-machines.md (fields of $filter, $top ≤ 10,000, $skip, "If there are no recent
// machines, you see 404 Not Found", Machine.Read.All or Machine.ReadWrite.All), get-machine-by-id.md ("by its device ID
// or computer name", 404 when not found), find-machines-by-ip.md ("seen with the requested internal IP in the time range
// of 15 minutes prior and after a given timestamp", "The given timestamp must be in the past 30 days", else 400),
// exposed-apis-odata-samples.md (examples) — reference §2.4.
import type { FilterModel } from './filter';
import { type EndpointRoute, isAnswer, mdeError, ok, page, safeDecode } from './common';
import { type Machine, machineJson } from './model';

export const READ_ROLES = ['Machine.Read.All', 'Machine.ReadWrite.All'];

export const MACHINE_FILTER: FilterModel<Machine> = {
  typeName: 'Machine',
  fields: [
    { name: 'computerDnsName', kind: 'string', get: (m) => m.computerDnsName },
    { name: 'id', kind: 'string', get: (m) => m.id },
    { name: 'version', kind: 'string', get: (m) => m.version },
    { name: 'deviceValue', kind: 'string', get: (m) => m.deviceValue },
    { name: 'aadDeviceId', kind: 'string', get: (m) => m.aadDeviceId },
    { name: 'machineTags', kind: 'collection', get: (m) => m.machineTags },
    { name: 'lastSeen', kind: 'datetime', get: (m) => m.lastSeen },
    { name: 'exposureLevel', kind: 'string', get: (m) => m.exposureLevel },
    { name: 'onboardingStatus', kind: 'string', get: (m) => m.onboardingStatus },
    { name: 'lastIpAddress', kind: 'string', get: (m) => m.lastIpAddress },
    { name: 'healthStatus', kind: 'string', get: (m) => m.healthStatus },
    { name: 'osPlatform', kind: 'string', get: (m) => m.osPlatform },
    { name: 'riskScore', kind: 'string', get: (m) => m.riskScore },
    { name: 'rbacGroupId', kind: 'number', get: (m) => m.rbacGroupId },
  ],
};

const MIN15 = 15 * 60_000;
const DAYS30 = 30 * 86_400_000;
/** clock skew allowed on a findbyip timestamp "in the future" (a client's clock a little ahead of the service's) */
const SKEW = 5 * 60_000;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+(%\w+)?$/;

export function machineRoutes(): EndpointRoute[] {
  const ctxUrl = (origin: string): string => `${origin}/api/$metadata#Machines`;
  return [
    {
      method: 'GET', pattern: /^\/api\/machines\/findbyip\((.*)\)$/i, roles: READ_ROLES,
      handle({ req, store, now }, m) {
        // findbyip(ip='10.248.240.38',timestamp=2019-09-22T08:44:05Z)
        const args = /^ip='([^']*)',\s*timestamp=([^,)]+)$/i.exec(safeDecode(m[1]).trim());
        if (!args) return mdeError(400, 'BadRequest', "The function findbyip takes two parameters: ip='{IP}' and timestamp={ISO 8601 date-time}, e.g. findbyip(ip='10.248.240.38',timestamp=2019-09-22T08:44:05Z).");
        const ip = args[1];
        if (!IPV4.test(ip) && !(ip.includes(':') && IPV6.test(ip))) return mdeError(400, 'InvalidIpAddress', `IP address ${ip} is invalid.`);
        const tsText = args[2].trim().replace(/^'(.*)'$/, '$1');
        const ts = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(tsText) ? new Date(tsText) : new Date(NaN);
        if (Number.isNaN(ts.getTime())) return mdeError(400, 'InvalidInput', `Invalid input timestamp ${tsText}: an ISO 8601 date-time with a zone (e.g. 2019-09-22T08:44:05Z) is expected.`);
        if (ts.getTime() < now.getTime() - DAYS30 || ts.getTime() > now.getTime() + SKEW) {
          return mdeError(400, 'InvalidInput', `Invalid input timestamp ${tsText}: the timestamp must be in the past 30 days.`);
        }
        // Modelled: a machine is seen with its internal IPs from its first report until now while its sensor is Active
        // (lastSeen is the last *full* report, sent about once a day — machine.md), else until lastSeen; ±15 minutes.
        const from = ts.getTime() - MIN15, to = ts.getTime() + MIN15;
        const found = store.machines.filter((x) => (x.lastIpAddress === ip || x.ipAddresses.some((a) => a.ipAddress === ip))
          && x.firstSeen.getTime() <= to && (x.healthStatus === 'Active' ? now : x.lastSeen).getTime() >= from);
        return ok(200, { '@odata.context': ctxUrl(req.origin), value: found.map(machineJson) });
      },
    },
    {
      method: 'GET', pattern: /^\/api\/machines\/?$/i, roles: READ_ROLES,
      handle({ req, store }) {
        if (store.machines.length === 0) return mdeError(404, 'NotFound', 'No recent machines were found.');
        const r = page(req.rawQuery, store.machines, MACHINE_FILTER);
        if (isAnswer(r)) return r;
        return ok(200, { '@odata.context': ctxUrl(req.origin), value: r.value.map(machineJson) });
      },
    },
    {
      method: 'GET', pattern: /^\/api\/machines\/([^/]+)$/i, roles: READ_ROLES,
      handle({ req, store }, m) {
        const key = safeDecode(m[1]);
        const found = store.machineByIdOrName(key);
        if (!found) return mdeError(404, 'ResourceNotFound', `Machine ${key} was not found`);
        return ok(200, { '@odata.context': `${req.origin}/api/$metadata#Machine`, ...machineJson(found) });
      },
    },
  ];
}
