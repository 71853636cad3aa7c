// The boundary between the emulator's HTTP faces (identity, Graph, Defender XDR) and its
// advanced-hunting engine. Both faces call the engine through this interface only.
// The emulator shares no code with lib/: nothing here or below imports from lib/.

/** Entities the seeded incidents refer to; the hunting tables are seeded with the same ones. */
export interface SeedEntities {
  devices: Array<{ deviceId: string; deviceName: string; aadDeviceId: string; osPlatform: string; publicIp: string; localIp: string }>;
  users: Array<{ accountName: string; accountDomain: string; upn: string; sid: string; objectId: string; displayName: string }>;
  ips: string[];
  urls: string[];
  files: Array<{ fileName: string; folderPath: string; md5: string; sha1: string; sha256: string; size: number }>;
  /** e-mail addresses (mailboxes, senders, recipients) */
  mailboxes: string[];
}

/** One alert as the AlertInfo / AlertEvidence tables see it. */
export interface SeedAlert {
  alertId: string;
  timestamp: Date;
  title: string;
  category: string;
  severity: string; // Informational | Low | Medium | High
  serviceSource: string; // e.g. "Microsoft Defender for Endpoint"
  detectionSource: string; // e.g. "EDR"
  attackTechniques: string[];
  evidence: Array<{
    entityType: 'Machine' | 'Ip' | 'Url' | 'File' | 'User' | 'Mailbox' | 'Process';
    evidenceRole: 'Impacted' | 'Related';
    deviceId?: string; deviceName?: string; remoteIp?: string; remoteUrl?: string;
    fileName?: string; folderPath?: string; sha1?: string; sha256?: string;
    accountName?: string; accountDomain?: string; accountSid?: string; accountObjectId?: string; accountUpn?: string;
    emailAddress?: string;
  }>;
}

/** A column as Microsoft reports it: Graph `{name,type}`, Defender XDR `{Name,Type}`; type names such as DateTime, String, Int64, Int32, Double, Boolean, Dynamic. */
export interface HuntingColumn { name: string; type: string }

export interface HuntingResult {
  schema: HuntingColumn[];
  /** rows keyed by column name; datetimes as ISO 8601 strings with 7 fractional digits and Z, as Microsoft returns them */
  rows: Array<Record<string, unknown>>;
  stats: { executionTimeSeconds: number; rowsScanned: number };
}

/** A query the engine refuses: status and Microsoft-style code, and a message a person can act on. */
export class HuntingError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'HuntingError';
  }
}

export interface HuntingRunOptions {
  /** the service clock */
  now: Date;
  /** the data window; default the last 30 days before `now` (Graph's Timespan can widen or move it) */
  from?: Date;
  to?: Date;
}

export interface HuntingEngine {
  /** Parses with Microsoft's Kusto parser and evaluates over the seeded tables. Throws HuntingError. */
  run(query: string, options: HuntingRunOptions): HuntingResult;
  /** Adds rows to a table, as a live tenant would (control endpoint); unknown columns are an error. */
  addRows(table: string, rows: Array<Record<string, unknown>>): void;
  /** table name -> its columns, in the advanced hunting schema's order */
  schema(): Record<string, HuntingColumn[]>;
  /** how many rows each table holds */
  counts(): Record<string, number>;
}

export interface HuntingEngineOptions {
  seed: number;
  now: Date;
  entities: SeedEntities;
  alerts: SeedAlert[];
  /** rows generated per event table (default a few hundred); the bench asks for 100,000 */
  rowsPerTable?: number;
}
