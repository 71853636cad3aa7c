// Per-tenant API quotas, as Microsoft documents them, counted in sliding windows.
//
//   legacy GET  /api/incidents            50/min and 1500/h   defender-xdr/api-list-incidents.md (reference §1.3)
//   legacy GET  /api/incidents/{id}       100/min and 1500/h  defender-xdr/api-get-incident.md (reference §1.5)
//   legacy PATCH /api/incidents/{id}      50/min and 1500/h   defender-xdr/api-update-incidents.md (reference §1.6)
//   legacy POST /api/advancedhunting/run  45/min and 1500/h   defender-xdr/api-advanced-hunting.md; 1500/h from the observed 429
//                                                            body "... 1500 per 01:00:00" (microsoft-365-docs #4616, reference §1.7)
//   Graph POST /security/runHuntingQuery  45/min              resources/security-api-overview.md (reference §2.7)
//   Graph /security/incidents*, /security/alerts_v2*  150/min per app per tenant: the figure Graph documents for
//        "Security detections and incidents service limits" (any operation on alert, concepts/throttling-limits.md,
//        reference §2.8); no incident-specific number is documented. /security/identities/identityAccounts* (Defender for
//        Identity's identity accounts) counts against the same bucket: no figure of its own is documented.
//   Defender for Endpoint: "Rate limitations for this API are 100 calls per minute and 1,500 calls per hour", each API its
//        own bucket: every response action (isolate-machine.md, unisolate-machine.md, run-av-scan.md,
//        collect-investigation-package.md, restrict-code-execution.md, unrestrict-code-execution.md,
//        stop-and-quarantine-file.md), machine actions get/list/cancel (get-machineaction-object.md,
//        get-machineactions-collection.md, cancel-machine-action.md), machines list/get/findbyip (get-machines.md,
//        get-machine-by-id.md, find-machines-by-ip.md), indicators submit/delete (post-ti-indicator.md,
//        delete-ti-indicator-by-id.md) and list (get-ti-indicators-collection.md) — reference §2.5; GetPackageUri 2 a minute and 120 an hour (get-package-sas-uri.md).
//        Counted per tenant, like the legacy XDR buckets (the pages do not say per app).
//
// Answered with 429 and Retry-After (seconds) on both faces. The legacy body names the limit and when calls may
// resume: "API calls quota exceeded! maximum allowed 45 per 00:01:00" (reference §1.7), to which the emulator adds
// "Try again in N seconds.". A `timeScale` makes every window shorter: a minute lasts 60/timeScale seconds.

export interface QuotaRule { limit: number; windowMs: number }

export interface QuotaBucket {
  name: string;
  /** whether the bucket is counted per app (Graph's per app per tenant limits) */
  perApp: boolean;
  rules: QuotaRule[];
}

const MIN = 60_000;
const HOUR = 3_600_000;

export const BUCKETS: Record<string, QuotaBucket> = {
  'defender.incidents.list': { name: 'defender.incidents.list', perApp: false, rules: [{ limit: 50, windowMs: MIN }, { limit: 1500, windowMs: HOUR }] },
  'defender.incidents.get': { name: 'defender.incidents.get', perApp: false, rules: [{ limit: 100, windowMs: MIN }, { limit: 1500, windowMs: HOUR }] },
  'defender.incidents.update': { name: 'defender.incidents.update', perApp: false, rules: [{ limit: 50, windowMs: MIN }, { limit: 1500, windowMs: HOUR }] },
  'defender.hunting': { name: 'defender.hunting', perApp: false, rules: [{ limit: 45, windowMs: MIN }, { limit: 1500, windowMs: HOUR }] },
  'graph.hunting': { name: 'graph.hunting', perApp: false, rules: [{ limit: 45, windowMs: MIN }] },
  'graph.security': { name: 'graph.security', perApp: true, rules: [{ limit: 150, windowMs: MIN }] },
};
const MDE_RULES: QuotaRule[] = [{ limit: 100, windowMs: MIN }, { limit: 1500, windowMs: HOUR }];
for (const n of ['machines.list', 'machines.get', 'machines.findbyip', 'isolate', 'unisolate', 'runantivirusscan', 'collectinvestigationpackage',
  'restrictcodeexecution', 'unrestrictcodeexecution', 'stopandquarantinefile', 'machineactions.list', 'machineactions.get', 'machineactions.cancel',
  'indicators.submit', 'indicators.delete', 'indicators.list']) {
  BUCKETS[`endpoint.${n}`] = { name: `endpoint.${n}`, perApp: false, rules: MDE_RULES };
}
BUCKETS['endpoint.machineactions.getpackageuri'] = { name: 'endpoint.machineactions.getpackageuri', perApp: false, rules: [{ limit: 2, windowMs: MIN }, { limit: 120, windowMs: HOUR }] };
const MDE_ACTIONS = /^\/api\/machines\/[^/]+\/(isolate|unisolate|runantivirusscan|collectinvestigationpackage|restrictcodeexecution|unrestrictcodeexecution|stopandquarantinefile)$/;

/** Which bucket a Microsoft-path request counts against (undefined = not limited). */
export function bucketFor(method: string, path: string): QuotaBucket | undefined {
  // the MDE paths may carry the optional version segment /api/v1.0/ (exposed-apis-list.md)
  const p = path.replace(/\/+$/, '').toLowerCase().replace(/^\/api\/v1\.0\/(?=machines|machineactions|indicators)/, '/api/');
  const m = method.toUpperCase();
  if (p === '/api/incidents' && m === 'GET') return BUCKETS['defender.incidents.list'];
  if (/^\/api\/incidents\/[^/]+$/.test(p)) {
    if (m === 'GET') return BUCKETS['defender.incidents.get'];
    if (m === 'PATCH') return BUCKETS['defender.incidents.update'];
  }
  if (p === '/api/advancedhunting/run') return BUCKETS['defender.hunting'];
  if (p === '/v1.0/security/runhuntingquery') return BUCKETS['graph.hunting'];
  if (p.startsWith('/v1.0/security/incidents') || p.startsWith('/v1.0/security/alerts_v2') || p.startsWith('/v1.0/security/identities/')) return BUCKETS['graph.security'];
  if (p.startsWith('/api/machines') && m === 'GET') {
    if (p === '/api/machines') return BUCKETS['endpoint.machines.list'];
    if (p.startsWith('/api/machines/findbyip(')) return BUCKETS['endpoint.machines.findbyip'];
    if (/^\/api\/machines\/[^/]+$/.test(p)) return BUCKETS['endpoint.machines.get'];
  }
  const action = MDE_ACTIONS.exec(p);
  if (action && m === 'POST') return BUCKETS[`endpoint.${action[1]}`];
  if (p === '/api/machineactions' && m === 'GET') return BUCKETS['endpoint.machineactions.list'];
  if (/^\/api\/machineactions\/[^/]+$/.test(p) && m === 'GET') return BUCKETS['endpoint.machineactions.get'];
  if (/^\/api\/machineactions\/[^/]+\/getpackageuri$/.test(p) && m === 'GET') return BUCKETS['endpoint.machineactions.getpackageuri'];
  if (/^\/api\/machineactions\/[^/]+\/cancel$/.test(p) && m === 'POST') return BUCKETS['endpoint.machineactions.cancel'];
  if (p === '/api/indicators' && m === 'POST') return BUCKETS['endpoint.indicators.submit'];
  if (p === '/api/indicators' && m === 'GET') return BUCKETS['endpoint.indicators.list'];
  if (/^\/api\/indicators\/[^/]+$/.test(p) && m === 'DELETE') return BUCKETS['endpoint.indicators.delete'];
  return undefined;
}

/** "00:01:00" / "01:00:00", as the legacy 429 message writes windows */
export function formatWindow(ms: number): string {
  const s = Math.round(ms / 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

export interface QuotaVerdict {
  ok: boolean;
  /** when refused: the rule that was exceeded, in Microsoft's (unscaled) terms */
  rule?: QuotaRule;
  /** when refused: seconds (real, already scaled) until a call is allowed again; at least 1 */
  retryAfterSeconds?: number;
}

export class Quotas {
  /** accepted-call times (monotonic ms) per key */
  private readonly calls = new Map<string, number[]>();
  enabled: boolean;

  constructor(private readonly timeScale: number, enabled: boolean, private readonly clock: () => number = () => performance.now()) {
    if (!(timeScale > 0)) throw new Error('timeScale must be > 0');
    this.enabled = enabled;
  }

  /** Counts a call if every rule of the bucket allows it; otherwise refuses it without counting. */
  take(bucket: QuotaBucket, appId: string): QuotaVerdict {
    if (!this.enabled) return { ok: true };
    const key = bucket.perApp ? `${bucket.name}:${appId}` : bucket.name;
    const now = this.clock();
    const longest = Math.max(...bucket.rules.map((r) => r.windowMs)) / this.timeScale;
    const list = (this.calls.get(key) ?? []).filter((t) => t > now - longest);
    let worst: QuotaVerdict | undefined;
    for (const rule of bucket.rules) {
      const win = rule.windowMs / this.timeScale;
      const inWindow = list.filter((t) => t > now - win);
      if (inWindow.length >= rule.limit) {
        // the call that frees a slot is the (count - limit + 1)-th oldest in the window
        const freeing = inWindow[inWindow.length - rule.limit];
        const waitMs = freeing + win - now;
        const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
        if (!worst || retryAfterSeconds > (worst.retryAfterSeconds ?? 0)) worst = { ok: false, rule, retryAfterSeconds };
      }
    }
    if (worst) { this.calls.set(key, list); return worst; }
    list.push(now);
    this.calls.set(key, list);
    return { ok: true };
  }

  reset(): void { this.calls.clear(); }
}
