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

  describe('@odata.nextLink loops stop after a bounded number of requests', () => {
    const listed = (since: number): number => em.requests(since).filter((r) => r.path === '/v1.0/security/incidents').length;

    it('Search Incidents: an empty page with a nextLink each time stops after one request', async () => {
      const since = emulator.lastSeq();
      em.addFault({ kind: 'body', body: JSON.stringify({ value: [], '@odata.nextLink': `${em.origin}/v1.0/security/incidents?$skip=50` }), count: 10_000, match: { path: '/v1.0/security/incidents', exact: true } });
      const r = await run('search-incidents', envOf('graph'), { max_results: '5000' });
      expectApiError(r, 'Microsoft Graph', /an empty page that still has an @odata\.nextLink/);
      expect(listed(since)).to.equal(1);
    });

    it('Search Incidents: a nextLink back to a page already read stops on the second request', async () => {
      const since = emulator.lastSeq();
      // every page holds one incident and links to the same next page
      const one = { id: '7', displayName: 'Looping', status: 'active', severity: 'low', createdDateTime: '2024-05-01T00:00:00Z', lastUpdateDateTime: '2024-05-01T00:00:00Z' };
      const body = JSON.stringify({ value: [one], '@odata.nextLink': `${em.origin}/v1.0/security/incidents?$top=50&$skip=50` });
      em.addFault({ kind: 'body', body, count: 10_000, match: { path: '/v1.0/security/incidents', exact: true } });
      const r = await run('search-incidents', envOf('graph'), { max_results: '5000' });
      expect(r.result['error']?.message, r.result['error']?.message).to.match(/^Microsoft Graph answered searching incidents with an @odata\.nextLink to a page already read \(after page 2\)/);
      expect(listed(since)).to.equal(2);
    });

    it('the Incidents Daemon: an empty page with a nextLink is API_ERROR after one request, its checkpoint not moved', async () => {
      const since = emulator.lastSeq();
      em.addFault({ kind: 'body', body: JSON.stringify({ value: [], '@odata.nextLink': `${em.origin}/v1.0/security/incidents?$skip=50` }), count: 10_000, match: { path: '/v1.0/security/incidents', exact: true } });
      const r = await run('incidents-daemon', envOf('graph'), { first_fetch: '30d', state: { version: 1, field: 'lastUpdateDateTime', from: '2020-01-01T00:00:00.0000000Z', high: null, seen: {} } });
      expectApiError(r, 'Microsoft Graph', /an empty page that still has an @odata\.nextLink/);
      expect(r.result).not.to.have.property('state');
      expect(listed(since)).to.equal(1);
    });
  });

  it("hunting rows whose keys differ from the schema's column names only in case fill the case-wall table", async () => {
    for (const flavor of ['graph', 'defender'] as Flavor[]) {
      const body = flavor === 'graph'
        ? { schema: [{ name: 'DeviceName', type: 'string' }, { name: 'RemoteIP', type: 'string' }], results: [{ devicename: 'h1', REMOTEIP: '10.1.1.1' }] }
        : { Schema: [{ Name: 'DeviceName', Type: 'String' }, { Name: 'RemoteIP', Type: 'String' }], Results: [{ deviceName: 'h1', remoteIp: '10.1.1.1' }] };
      em.addFault({ kind: 'body', body: JSON.stringify(body), count: 1, match: { path: FAMILIES[flavor].hunting, exact: true } });
      const r = await run('execute-custom-query', envOf(flavor), { query: 'DeviceInfo | take 1' });
      expect(r.result['status'], r.stdout.slice(0, 400)).to.equal('completed');
      expect(r.result['tables'][0].rows).to.deep.equal([['h1', '10.1.1.1']]);
    }
  });

  it('a write answered with the wrong shape is API_ERROR saying the change was probably made', async () => {
    for (const flavor of ['graph', 'defender'] as Flavor[]) {
      const id = String(em.tenant.control.addIncident({ displayName: 'Written to', alerts: 1 }, em.now())['id']);
      const incidentPath = `${FAMILIES[flavor].list}/${id}`;
      em.addFault({ kind: 'body', body: '[]', count: 1, match: { method: 'PATCH', path: incidentPath, exact: true } });
      const update = await run('update-incident', envOf(flavor), { incident_id: id, assign_to: 'analyst@contoso.com' });
      expectApiError(update, FAMILIES[flavor].name, new RegExp(`answered updating incident ${id} with a list \\(0 items\\); expected the updated incident`));
      expect(update.result['error'].message).to.match(/Microsoft accepted the request \(HTTP 2xx\), so the update was probably made/);
      const commentPath = flavor === 'graph' ? `${incidentPath}/comments` : incidentPath;
      em.addFault({ kind: 'body', body: '', count: 1, match: { method: flavor === 'graph' ? 'POST' : 'PATCH', path: commentPath, exact: true } });
      const comment = await run('add-comment-to-incident', envOf(flavor), { incident_id: id, comment: 'Checked.' });
      expectApiError(comment, FAMILIES[flavor].name, /an empty body/);
      expect(comment.result['error'].message).to.match(/so the comment was probably made/);
    }
  });

  it("newer enum members: Graph's own with Prefer: include-unknown-enum-members, and the Defender XDR API's mapped onto them", async () => {
    // an incident Defender Experts set to awaitingAction, with a Defender for Cloud alert from a Defender for Databases detection
    const added = em.tenant.control.addIncident({ displayName: 'Experts need you', status: 'awaitingAction', serviceSource: 'microsoftDefenderForCloud', detectionSource: 'microsoftDefenderForDatabases', alerts: 1 }, em.now());
    const id = String(added['id']);
    for (const flavor of ['graph', 'defender'] as Flavor[]) {
      const r = await run('get-incident', envOf(flavor), { incident_id: id });
      expect(r.result['status'], r.stdout.slice(0, 400)).to.equal('completed');
      const incident = r.result['json_result'].incident;
      const alert = incident.alerts[0];
      expect([alert.serviceSource, alert.detectionSource], flavor).to.deep.equal(['microsoftDefenderForCloud', 'microsoftDefenderForDatabases']);
      if (flavor === 'graph') expect(incident.status).to.equal('awaitingAction');
    }
    // a search for the newer status works on Graph (without the header a filter naming it is a 400)
    const search = await run('search-incidents', envOf('graph'), { status: 'Awaiting Action', include_alerts: true });
    expect(search.result['status'], search.stdout.slice(0, 400)).to.equal('completed');
    expect(search.result['json_result'].incidents.map((i: Json) => [i['id'], i['status']])).to.deep.equal([[id, 'awaitingAction']]);
  });

  describe('token answers of the wrong shape are never used', () => {
    const TOKEN_ANSWERS: Array<[string, unknown, RegExp]> = [
      ['a numeric access_token and expires_in "soon" (the issue)', { token_type: 'Bearer', expires_in: 'soon', access_token: 12345 }, /an 'access_token' that is a number/],
      ['a numeric access_token', { token_type: 'Bearer', expires_in: 3599, access_token: 12345 }, /an 'access_token' that is a number/],
      ['expires_in "soon"', { token_type: 'Bearer', expires_in: 'soon', access_token: `eyJ${MARKER}` }, /an 'expires_in' that is not a number of seconds/],
      ['an empty access_token', { token_type: 'Bearer', expires_in: 3599, access_token: '' }, /an empty 'access_token'/],
      ['{}', {}, /an object without 'access_token'/],
      ['a list', [], /a list/],
      ['null', null, /null/],
      ['an empty body', undefined, /an empty body/],
    ];
    for (const [what, answer, came] of TOKEN_ANSWERS) {
      it(`${what}: API_ERROR naming Entra ID, no call to the API, nothing cached`, async () => {
        const state = emulator.freshState();
        const since = emulator.lastSeq();
        em.addFault({ kind: 'body', body: answer === undefined ? '' : JSON.stringify(answer), count: 1, match: { path: `/${em.tenantId}/oauth2/v2.0/token` } });
        const r = await run('ping', envOf('graph', state));
        expectApiError(r, `Entra ID \\(${em.origin.replace(/[.]/g, '\\.')}\\)`, came);
        expect(r.result['error'].message).to.match(/the token request/);
        expect(em.requests(since).filter((q) => q.path.startsWith('/v1.0/'))).to.deep.equal([]);
        const tokens = path.join(state, 'tokens');
        expect(fs.existsSync(tokens) ? fs.readdirSync(tokens).filter((f) => f.endsWith('.json')) : []).to.deep.equal([]);
      });
    }
  });
});
