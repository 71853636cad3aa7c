// The Defender for Endpoint tenant state: machines (seeded from the same devices as the incidents' evidence and the
// hunting tables) and machine actions, whose status is a function of the service clock.
//
// Machine fields: defender-endpoint/api/machine.md and the examples of get-machines.md / get-machine-by-id.md /
// exposed-apis-odata-samples.md (reference §2.4). The machine resource documents no isolation or restriction state:
// the API never shows it (a client learns it from the machine actions); the emulator keeps it for `em.machine(id)` only.
// Machine action fields: machineaction.md (its property table, in its order) and get-machineaction-object.md (reference §2.3).
import * as crypto from 'node:crypto';
import type { SeedEntities } from '../hunting/api';

export const HEALTH = ['Active', 'Inactive', 'ImpairedCommunication', 'NoSensorData', 'NoSensorDataImpairedCommunication', 'Unknown'] as const;
export const RISK = ['None', 'Informational', 'Low', 'Medium', 'High'] as const;
export const EXPOSURE = ['None', 'Low', 'Medium', 'High'] as const;
export const BEHAVIOURS = ['succeeds', 'fails', 'stuck'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

export const ACTION_TYPES = ['RunAntiVirusScan', 'Offboard', 'LiveResponse', 'CollectInvestigationPackage', 'Isolate', 'Unisolate',
  'StopAndQuarantineFile', 'RestrictCodeExecution', 'UnrestrictCodeExecution'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export const ACTION_STATUSES = ['Pending', 'InProgress', 'Succeeded', 'Failed', 'TimeOut', 'Cancelled'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface Machine {
  id: string;
  computerDnsName: string;
  firstSeen: Date;
  lastSeen: Date;
  osPlatform: string;
  version: string | null;
  osProcessor: string;
  lastIpAddress: string;
  lastExternalIpAddress: string | null;
  osBuild: number | null;
  healthStatus: string;
  onboardingStatus: string;
  deviceValue: string;
  rbacGroupId: number;
  rbacGroupName: string;
  riskScore: string;
  exposureLevel: string;
  isAadJoined: boolean;
  aadDeviceId: string | null;
  machineTags: string[];
  ipAddresses: Array<{ ipAddress: string; macAddress: string; operationalStatus: string }>;
  osArchitecture: string;
  behaviour: Behaviour;
}

export interface MachineAction {
  id: string;
  type: ActionType;
  scope: string | null;
  requestor: string;
  requestorComment: string;
  externalId: string | null;
  machineId: string;
  computerDnsName: string;
  created: Date;
  /** the machine's behaviour when the action was asked for */
  behaviour: Behaviour;
  sha1: string | null;
  cancelled?: { at: Date; by: string; comment: string | null };
  /** the investigation package's download token (collect actions) */
  packageToken?: string;
}

export interface Timing { pendingMs: number; runningMs: number }

/** "2019-01-02T14:40:44.6596267Z": the 7 fractional digits Microsoft writes */
export function stamp(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

// A small deterministic generator (mulberry32) seeded from the seed number.
function rngFor(seed: number, label: string): () => number {
  let a = crypto.createHash('sha256').update(`m365d-emulator:endpoint:${seed}:${label}`).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERSION: Record<string, [string | null, number | null]> = {
  Windows10: ['22H2', 19045], Windows11: ['23H2', 22631], WindowsServer2019: ['1809', 17763], WindowsServer2022: ['21H2', 20348],
  Linux: ['22.04', null], macOS: ['14.5', null],
};
const GROUPS = { workstations: { id: 4201, name: 'Workstations' }, servers: { id: 4202, name: 'Servers' } };
const TAGS = ['VIP', 'Finance', 'Pen test', 'Tier 0'];
const DAY = 86_400_000;

function mac(r: () => number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += Math.floor(r() * 256).toString(16).padStart(2, '0').toUpperCase();
  return s;
}

export interface MachineInput {
  computerDnsName: string;
  id?: string;
  lastIpAddress?: string;
  lastExternalIpAddress?: string;
  osPlatform?: string;
  healthStatus?: string;
  riskScore?: string;
  exposureLevel?: string;
  machineTags?: string[];
  lastSeen?: string | Date;
  aadDeviceId?: string | null;
  behaviour?: Behaviour;
}

export class EndpointStore {
  readonly machines: Machine[] = [];
  readonly actions: MachineAction[] = [];
  private added = 0;

  constructor(private readonly seed: number, readonly timing: Timing) {}

  /** One machine per seeded device: the id, DNS name, Entra device id, OS and IPs the incidents and hunting tables name. */
  seedFrom(devices: SeedEntities['devices'], now: Date): void {
    const r = rngFor(this.seed, 'machines');
    devices.forEach((d, i) => {
      const windows = d.osPlatform.startsWith('Windows');
      const server = d.osPlatform.startsWith('WindowsServer');
      const [version, osBuild] = VERSION[d.osPlatform] ?? [null, null];
      const group = server ? GROUPS.servers : GROUPS.workstations;
      // "Any device that isn't in use for more than seven days retains 'Inactive' status" (defender-endpoint/
      // fix-unhealthy-sensors.md); the others sent their last full report within the day.
      const health = i % 11 === 5 ? 'Inactive' : i % 13 === 7 ? 'ImpairedCommunication' : 'Active';
      const quiet = health === 'Inactive' ? (8 + r() * 20) * DAY : r() * 20 * 3_600_000;
      this.machines.push({
        id: d.deviceId,
        computerDnsName: d.deviceName,
        firstSeen: new Date(now.getTime() - Math.floor((60 + r() * 600) * DAY)),
        lastSeen: new Date(now.getTime() - Math.floor(quiet)),
        osPlatform: d.osPlatform,
        version,
        osProcessor: 'x64',
        lastIpAddress: d.localIp,
        lastExternalIpAddress: d.publicIp,
        osBuild,
        healthStatus: health,
        onboardingStatus: 'Onboarded',
        deviceValue: i % 9 === 0 ? 'High' : 'Normal',
        rbacGroupId: group.id,
        rbacGroupName: group.name,
        riskScore: RISK[Math.floor(r() * RISK.length)],
        exposureLevel: EXPOSURE[1 + Math.floor(r() * (EXPOSURE.length - 1))],
        isAadJoined: windows && !server,
        aadDeviceId: windows && !server ? d.aadDeviceId : null,
        machineTags: i % 4 === 0 ? [TAGS[(i / 4) % TAGS.length]] : [],
        ipAddresses: [{ ipAddress: d.localIp, macAddress: mac(r), operationalStatus: 'Up' }],
        osArchitecture: '64-bit',
        behaviour: 'succeeds',
      });
    });
  }

  /** em.addMachine: validates like a test would want (a clear Error naming the field). */
  addMachine(input: MachineInput, now: Date): Machine {
    if (typeof input !== 'object' || input === null) throw new Error('addMachine: input must be an object with computerDnsName');
    if (typeof input.computerDnsName !== 'string' || !input.computerDnsName) throw new Error('addMachine: computerDnsName (a non-empty string) is required');
    const oneOf = <T extends string>(name: string, v: unknown, allowed: readonly T[], dflt: T): T => {
      if (v === undefined) return dflt;
      if (typeof v !== 'string' || !allowed.includes(v as T)) throw new Error(`addMachine: ${name} must be one of ${allowed.join(', ')}`);
      return v as T;
    };
    const n = ++this.added;
    const id = input.id ?? crypto.createHash('sha1').update(`added:${this.seed}:${n}:${input.computerDnsName}`).digest('hex');
    if (typeof id !== 'string' || !/^[0-9a-zA-Z_-]{1,100}$/.test(id)) throw new Error('addMachine: id must be letters, digits, _ or - (a machine id is 40 hex digits)');
    if (this.machines.some((m) => m.id.toLowerCase() === id.toLowerCase())) throw new Error(`addMachine: a machine with id ${id} already exists`);
    const lastSeen = input.lastSeen === undefined ? now : new Date(input.lastSeen);
    if (Number.isNaN(lastSeen.getTime())) throw new Error('addMachine: lastSeen must be an ISO 8601 date-time');
    if (input.machineTags !== undefined && !(Array.isArray(input.machineTags) && input.machineTags.every((t) => typeof t === 'string'))) {
      throw new Error('addMachine: machineTags must be an array of strings');
    }
    const ip = input.lastIpAddress ?? `10.99.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
    if (typeof ip !== 'string') throw new Error('addMachine: lastIpAddress must be a string');
    const osPlatform = input.osPlatform ?? 'Windows11';
    const [version, osBuild] = VERSION[osPlatform] ?? [null, null];
    const r = rngFor(this.seed, `added:${n}`);
    const m: Machine = {
      id, computerDnsName: input.computerDnsName,
      firstSeen: new Date(Math.min(lastSeen.getTime(), now.getTime()) - 30 * DAY), lastSeen,
      osPlatform, version, osProcessor: 'x64', lastIpAddress: ip, lastExternalIpAddress: input.lastExternalIpAddress ?? null, osBuild,
      healthStatus: oneOf('healthStatus', input.healthStatus, HEALTH, 'Active'),
      onboardingStatus: 'Onboarded', deviceValue: 'Normal',
      rbacGroupId: GROUPS.workstations.id, rbacGroupName: GROUPS.workstations.name,
      riskScore: oneOf('riskScore', input.riskScore, RISK, 'Low'),
      exposureLevel: oneOf('exposureLevel', input.exposureLevel, EXPOSURE, 'Low'),
      isAadJoined: input.aadDeviceId !== undefined && input.aadDeviceId !== null,
      aadDeviceId: input.aadDeviceId ?? null,
      machineTags: [...(input.machineTags ?? [])],
      ipAddresses: [{ ipAddress: ip, macAddress: mac(r), operationalStatus: 'Up' }],
      osArchitecture: '64-bit',
      behaviour: oneOf('behaviour', input.behaviour, BEHAVIOURS, 'succeeds'),
    };
    this.machines.push(m);
    return m;
  }

  machineById(id: string): Machine | undefined {
    const k = id.toLowerCase();
    return this.machines.find((m) => m.id.toLowerCase() === k);
  }

  /** "by its device ID or computer name" (get-machine-by-id.md); of several machines with one name, the last seen. */
  machineByIdOrName(key: string): Machine | undefined {
    const byId = this.machineById(key);
    if (byId) return byId;
    const k = key.toLowerCase();
    const named = this.machines.filter((m) => m.computerDnsName.toLowerCase() === k);
    return named.sort((a, b) => b.lastSeen.getTime() - a.lastSeen.getTime())[0];
  }

  // ---- machine actions: the status follows the service clock
  status(a: MachineAction, now: Date): { status: ActionStatus; last: Date } {
    if (a.cancelled && a.cancelled.at.getTime() <= now.getTime()) return { status: 'Cancelled', last: a.cancelled.at };
    const t = now.getTime() - a.created.getTime();
    if (a.behaviour === 'stuck' || t < this.timing.pendingMs) return { status: 'Pending', last: a.created };
    if (t < this.timing.pendingMs + this.timing.runningMs) return { status: 'InProgress', last: new Date(a.created.getTime() + this.timing.pendingMs) };
    return { status: a.behaviour === 'fails' ? 'Failed' : 'Succeeded', last: new Date(a.created.getTime() + this.timing.pendingMs + this.timing.runningMs) };
  }

  active(a: MachineAction, now: Date): boolean {
    const s = this.status(a, now).status;
    return s === 'Pending' || s === 'InProgress';
  }

  addAction(a: Omit<MachineAction, 'id'>): MachineAction {
    const rec: MachineAction = { id: crypto.randomUUID(), ...a };
    this.actions.push(rec);
    return rec;
  }

  actionById(id: string): MachineAction | undefined {
    const k = id.toLowerCase();
    return this.actions.find((a) => a.id === k);
  }

  /** newest first, as the list's example ("the latest two MachineActions", get-machineactions-collection.md) */
  actionsNewestFirst(machineId?: string): MachineAction[] {
    const list = machineId === undefined ? [...this.actions] : this.actions.filter((a) => a.machineId.toLowerCase() === machineId.toLowerCase());
    return list.reverse();
  }

  /** What the succeeded actions did to the machine, in the order they completed. */
  containment(m: Machine, now: Date): { isolation: 'None' | 'Full' | 'Selective' | 'UnManagedDevice'; restricted: boolean } {
    let isolation: 'None' | 'Full' | 'Selective' | 'UnManagedDevice' = 'None';
    let restricted = false;
    const done = this.actions
      .filter((a) => a.machineId === m.id)
      .map((a) => ({ a, s: this.status(a, now) }))
      .filter((x) => x.s.status === 'Succeeded')
      .sort((x, y) => x.s.last.getTime() - y.s.last.getTime());
    for (const { a } of done) {
      if (a.type === 'Isolate') isolation = (a.scope ?? 'Full') as typeof isolation;
      else if (a.type === 'Unisolate') isolation = 'None';
      else if (a.type === 'RestrictCodeExecution') restricted = true;
      else if (a.type === 'UnrestrictCodeExecution') restricted = false;
    }
    return { isolation, restricted };
  }
}

/** The machine as the API writes it (the order of get-machines.md's example, then the resource's other properties). */
export function machineJson(m: Machine): Record<string, unknown> {
  return {
    id: m.id, computerDnsName: m.computerDnsName, firstSeen: stamp(m.firstSeen), lastSeen: stamp(m.lastSeen), osPlatform: m.osPlatform,
    version: m.version, osProcessor: m.osProcessor, lastIpAddress: m.lastIpAddress, lastExternalIpAddress: m.lastExternalIpAddress,
    osBuild: m.osBuild, healthStatus: m.healthStatus, deviceValue: m.deviceValue, rbacGroupId: m.rbacGroupId, rbacGroupName: m.rbacGroupName,
    riskScore: m.riskScore, exposureLevel: m.exposureLevel, isAadJoined: m.isAadJoined, aadDeviceId: m.aadDeviceId,
    machineTags: [...m.machineTags], onboardingStatus: m.onboardingStatus, osArchitecture: m.osArchitecture,
    ipAddresses: m.ipAddresses.map((x) => ({ ...x })),
  };
}

/** The machineAction resource (machineaction.md's properties, in its table's order). */
export function actionJson(store: EndpointStore, a: MachineAction, now: Date): Record<string, unknown> {
  const s = store.status(a, now);
  return {
    id: a.id, type: a.type, title: TITLES[a.type], scope: a.scope, requestor: a.requestor, externalID: a.externalId, requestSource: 'PublicApi',
    cancellationRequestor: s.status === 'Cancelled' ? a.cancelled?.by ?? null : null,
    requestorComment: a.requestorComment,
    cancellationComment: s.status === 'Cancelled' ? a.cancelled?.comment ?? null : null,
    status: s.status, machineId: a.machineId, computerDnsName: a.computerDnsName,
    creationDateTimeUtc: stamp(a.created),
    cancellationDateTimeUtc: s.status === 'Cancelled' && a.cancelled ? stamp(a.cancelled.at) : null,
    lastUpdateDateTimeUtc: stamp(s.last),
    relatedFileInfo: a.sha1 ? { fileIdentifier: a.sha1, fileIdentifierType: 'Sha1' } : null,
  };
}

// Not documented: the titles the portal gives actions; modelled.
const TITLES: Record<ActionType, string> = {
  RunAntiVirusScan: 'Run antivirus scan', Offboard: 'Offboard machine', LiveResponse: 'Live response', CollectInvestigationPackage: 'Collect investigation package',
  Isolate: 'Isolate machine', Unisolate: 'Release from isolation', StopAndQuarantineFile: 'Stop and quarantine file',
  RestrictCodeExecution: 'Restrict app execution', UnrestrictCodeExecution: 'Remove app restriction',
};
