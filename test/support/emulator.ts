// One emulator per describe block for the end-to-end suites: started before, stopped after (with the state folders
// the runs used), its faults cleared before each test.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions } from '../emulator/emulator';

export interface EmulatorHandle {
  /** the running emulator (inside tests and hooks) */
  readonly em: Emulator;
  /** a new, empty M365D_STATE_DIR for one run or one group of runs */
  freshState(): string;
  /** the sequence number of the last request the emulator logged: `em.requests(lastSeq())` is what came after */
  lastSeq(): number;
}

export function useEmulator(options: EmulatorOptions, label: string): EmulatorHandle {
  let em: Emulator | undefined;
  let stateRoot = '';
  let n = 0;
  before(async () => {
    em = await startEmulator({ port: 0, ...options });
    stateRoot = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  });
  after(async () => {
    await em?.stop();
    if (stateRoot) fs.rmSync(stateRoot, { recursive: true, force: true });
  });
  beforeEach(() => em?.clearFaults());
  return {
    get em(): Emulator {
      if (!em) throw new Error('the emulator is not started yet (use it inside tests and hooks)');
      return em;
    },
    freshState: () => path.join(stateRoot, `s${++n}`),
    lastSeq: () => em?.requests().at(-1)?.seq ?? 0,
  };
}
