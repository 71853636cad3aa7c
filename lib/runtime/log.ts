// JSON-lines logs on stderr (CONTRACT.md section 5): {"time","level","action","case_id","msg",...fields}.
// Each string of a line (the message, every field value at any depth, member names) is redacted (redact.ts: known
// secrets and patterns) and shortened before the line is encoded, so that a line is always one valid JSON object of a
// sensible size, whatever the values it carries.

import { safeStringify } from './json';
import { redactShort, type Redactor } from './redact';

export { safeStringify };

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  enabled(level: LogLevel): boolean;
}

const RESERVED = new Set(['time', 'level', 'action', 'case_id', 'msg']);

/** The longest a string in a log line may be; the case id is shorter still (it is on every line). */
export const LOG_TEXT_MAX = 8192;
export const LOG_CASE_ID_MAX = 256;

export class JsonLogger implements Logger {
  level: LogLevel = 'info';
  caseId: string | null = null;

  constructor(
    private readonly write: (line: string) => void,
    private readonly redactor: Redactor,
    readonly action: string,
  ) {}

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(this.level);
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const caseId = this.caseId === null ? null : redactShort(this.redactor, this.caseId, LOG_CASE_ID_MAX);
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, action: this.action, case_id: caseId, msg };
    for (const [key, value] of Object.entries(fields ?? {})) if (!RESERVED.has(key) && value !== undefined) entry[key] = value;
    this.write(`${safeStringify(entry, (text) => redactShort(this.redactor, text, LOG_TEXT_MAX))}\n`);
  }

  error(msg: string, fields?: LogFields): void { this.log('error', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.log('warn', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.log('info', msg, fields); }
  debug(msg: string, fields?: LogFields): void { this.log('debug', msg, fields); }
}
