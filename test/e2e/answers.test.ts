// Answers of the wrong shape, end to end: the built action processes against the emulator with its `body` fault in
// front of the service (a broken gateway or proxy answering 200 with something else). Every such answer must fail
// with API_ERROR and exit 1, saying what was expected and what came without echoing it, never read as "nothing
// found": Search Incidents, Get Incident, the Incidents Daemon (its checkpoint not moved), Ping and a hunting action,
// on both API families. Also: @odata.nextLink loops stop after a bounded number of requests, a token answer of the
// wrong shape is never used, and Graph calls opt in to the newer members of evolvable enums.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Emulator } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { envelopeValidator } from '../support/schemas';

type Flavor = 'graph' | 'defender';
type Json = Record<string, any>;

const CONTEXT = { case_id: 'answers-case', alert_group_identifiers: [] };
const validateEnvelope = envelopeValidator();
/** A value a gateway page could carry; it must never reach a message. */
const MARKER = 'gw-secret-7f3a';

/** The wrong shapes of the issue, each with what the message must say came. */
const WRONG: Array<{ body: string; came: RegExp }> = [
  { body: '{}', came: /an object without 'value'|an object without 'schema'|an object without 'Schema'/ },
  { body: '{"value":null}', came: /'value' that is null|an object without 'schema'|an object without 'Schema'/ },
  { body: '[]', came: /a list/ },
  { body: JSON.stringify(`<html>Service unavailable ${MARKER}</html>`), came: /a string/ },
  { body: '', came: /an empty body/ },
  { body: '{"value":5}', came: /'value' that is a number|an object without 'schema'|an object without 'Schema'/ },
  { body: 'null', came: /null/ },
];

const FAMILIES: Record<Flavor, { name: string; list: string; hunting: string }> = {
  graph: { name: 'Microsoft Graph', list: '/v1.0/security/incidents', hunting: '/v1.0/security/runHuntingQuery' },
  defender: { name: 'The Defender XDR API', list: '/api/incidents', hunting: '/api/advancedhunting/run' },
};

describe('Answers of the wrong shape, against the emulator', function () {
  this.timeout(120_000);
  const emulator = useEmulator({ seed: 5, incidents: 30, quotas: false }, 'answers');
  let em: Emulator;
  before(() => (em = emulator.em));
  const envOf = (flavor: Flavor, state = emulator.freshState()): Record<string, string> => ({ ...(flavor === 'graph' ? em.env : em.legacyEnv), M365D_STATE_DIR: state });

  async function run(id: string, env: Record<string, string>, input: Json = {}): Promise<RunResult> {
    const r = await runEntry(entryOf(id, repoRoot), { env, input: { ...CONTEXT, ...input }, timeoutMs: 60_000 });
    expectContract(r);
    expect(validateEnvelope(r.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
    return r;
  }
  const expectApiError = (r: RunResult, api: string, came: RegExp): void => {
    expect(r.result['status'], r.stdout.slice(0, 600)).to.equal('failed');
    expect(r.code).to.equal(1);
    expect(r.result['error'].code, r.result['error'].message).to.equal('API_ERROR');
    const message: string = r.result['error'].message;
    expect(message).to.match(new RegExp(`${api} answered .+ with `));
    expect(message).to.match(came);
    expect(message).to.match(/expected /);
    expect(r.stdout + r.stderr).not.to.include(MARKER);
  };

  for (const flavor of ['graph', 'defender'] as Flavor[]) {
    const fam = FAMILIES[flavor];
    describe(fam.name, () => {
      for (const { body, came } of WRONG) {
        const shown = body === '' ? 'an empty 200 body' : body.length > 20 ? 'a JSON string' : body;
        it(`${shown}: Search Incidents, Get Incident, Ping and a hunting query fail with API_ERROR`, async () => {
          em.addFault({ kind: 'body', body, count: 1, match: { path: fam.list, exact: true } });
          expectApiError(await run('search-incidents', envOf(flavor)), fam.name, came);

          em.addFault({ kind: 'body', body, count: 1, match: { path: `${fam.list}/3`, exact: true } });
          const get = await run('get-incident', envOf(flavor), { incident_id: '3' });
          expect(get.result['status'], get.stdout.slice(0, 400)).to.equal('failed');
          expect([get.code, get.result['error'].code]).to.deep.equal([1, 'API_ERROR']);
          expect(get.stdout + get.stderr).not.to.include(MARKER);

          em.addFault({ kind: 'body', body, count: 1, match: { path: fam.list, exact: true } });
          const ping = await run('ping', envOf(flavor));
          expectApiError(ping, fam.name, came);
          expect(ping.result['output_message'] ?? '').not.to.match(/confirmed/);

          em.addFault({ kind: 'body', body, count: 1, match: { path: fam.hunting, exact: true } });
          expectApiError(await run('execute-custom-query', envOf(flavor), { query: 'DeviceInfo | take 3' }), fam.name, /./);
        });

        it(`${shown}: the Incidents Daemon fails with API_ERROR and moves no checkpoint`, async () => {
          const state = emulator.freshState();
          em.addFault({ kind: 'body', body, count: 100, match: { path: fam.list, exact: true } });
          const r = await run('incidents-daemon', envOf(flavor, state), { first_fetch: '30d' });
          expectApiError(r, fam.name, came);
          expect(r.result).not.to.have.property('state');
          const dir = path.join(state, 'daemon');
          const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
          expect(files, 'no fallback checkpoint written').to.deep.equal([]);
        });
      }
    });
  }
});
