// Data that attackers control (incident titles and descriptions, tags, alert titles, comments, hunting rows) holding
// what broke the old redactor, which rewrote the serialised result (issue 13): a private key header without its END
// line, a BEGIN line in one incident and its END line in a later one, password=abc"def and its kin, token shapes. Each
// built action, against the emulator on both API families, must print one valid result holding that data exactly as
// Microsoft sent it, with only the package's own secrets replaced; the Incidents Daemon must hand each incident over
// once and move its checkpoint once, with the engine's state and with its fallback file.
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Emulator, M365dEnv } from '../emulator/emulator';
import { useEmulator } from '../support/emulator';
import { entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { repoRoot } from '../support/paths';
import { envelopeValidator } from '../support/schemas';

type Json = Record<string, any>;
const validateEnvelope = envelopeValidator();
const CONTEXT = { case_id: 'hostile-data', alert_group_identifiers: [] };
const entry = (id: string): string => entryOf(id, repoRoot);

/** A key body that is not the package's: Microsoft's data (a file an attacker dropped, say), kept as it is. */
const FOREIGN_BODY = 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmFseXN0In0.c2lnbmF0dXJlLXVua25vd24';

interface Family {
  name: string;
  env: (em: Emulator) => M365dEnv;
}
const FAMILIES: Family[] = [
  { name: 'Microsoft Graph', env: (em) => em.env },
  { name: 'the Defender XDR API', env: (em) => em.legacyEnv },
];

async function run(id: string, env: Record<string, string | undefined>, input: Json = {}): Promise<RunResult> {
  const r = await runEntry(entry(id), { env, input: { ...CONTEXT, ...input }, timeoutMs: 60_000 });
  expectContract(r); // one JSON object on stdout, JSON lines on stderr
  expect(validateEnvelope(r.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
  return r;
}

describe('Hostile data through the built actions (redaction never touches Microsoft\'s data)', function () {
  this.timeout(120_000);
  const emulator = useEmulator({ seed: 13, incidents: 6, quotas: false }, 'hostile');
  let em: Emulator;
  let secret: string;
  /** the hostile incidents, in the order they were made: id and the texts they were given */
  const made: Array<{ id: string; displayName: string; description: string; tags: string[] }> = [];
  /** the known-secret incident's title as the result must show it */
  let redactedTitle: string;
  /** the comment added to the first incident */
  const COMMENT = `Bearer abcdefghijklmnop -----BEGIN PRIVATE KEY-----\n${FOREIGN_BODY}\nno end here, password=abc"def`;

  before(async () => {
    em = emulator.em;
    secret = em.env.M365D_CLIENT_SECRET!;
    const texts: Array<[string, string, string[]]> = [
      ['x -----BEGIN PRIVATE KEY----- and no END line', 'password=abc"def', ['password=abc"def']],
      ['-----BEGIN RSA PRIVATE KEY-----', `${FOREIGN_BODY}\\n`, ['client_secret=abc"def']],
      ['between a BEGIN and an END: must not vanish', 'access_token=x\\"y and refresh_token: "zzz"', []],
      ['-----END RSA PRIVATE KEY-----', `${JWT} Authorization: Bearer abcdefghijklmnop http://bob:hunter2@proxy:3128`, ['"}]},{"']],
      [`the app's own secret ${secret} in a title`, 'quotes " and backslashes \\ and \\" and \u2028', []],
    ];
    for (const [displayName, description, tags] of texts) {
      const inc = em.addIncident({ displayName, description, severity: 'high', assignedTo: 'hostile@contoso.com', customTags: tags, alerts: 1 });
      made.push({ id: String(inc['id']), displayName, description, tags });
    }
    em.addAlert(made[0]!.id, { title: `alert -----BEGIN PRIVATE KEY----- ${JWT}` });
    em.addAlert(made[3]!.id, { title: 'alert password=abc"def -----END PRIVATE KEY-----' });
    redactedTitle = "the app's own secret [REDACTED] in a title";
    // a comment through the package itself (Add Comment), which shows it back as Microsoft answers
    const added = await run('add-comment-to-incident', em.env, { incident_id: made[0]!.id, comment: COMMENT });
    expect(added.code, added.stdout).to.equal(0);
    expect(added.result['json_result'].comment).to.equal(COMMENT);
    expect(added.result['json_result'].comments.at(-1).comment).to.equal(COMMENT);
  });

  /** the Defender XDR API has no description; everything else is the same on both families */
  const expectIncident = (i: Json, k: number, family: Family): void => {
    const m = made[k]!;
    expect(i['displayName'], `incident ${m.id}`).to.equal(k === 4 ? redactedTitle : m.displayName);
    if (family === FAMILIES[0]) expect(i['description'], `incident ${m.id}`).to.equal(m.description);
    expect(i['customTags'], `incident ${m.id}`).to.deep.equal(m.tags);
  };

  for (const family of FAMILIES) {
    describe(family.name, () => {
      it('Get Incident shows titles, descriptions, tags, alert titles and comments exactly, only the known secret replaced', async () => {
        for (const [k, m] of made.entries()) {
          const r = await run('get-incident', family.env(em), { incident_id: m.id });
          expect(r.code, r.stdout.slice(0, 300)).to.equal(0);
          const incident = r.result['json_result'].incident as Json;
          expectIncident(incident, k, family);
          if (k === 0) {
            expect(incident['comments'].map((c: Json) => c['comment'])).to.include(COMMENT);
            expect(incident['alerts'].map((a: Json) => a['title'])).to.include(`alert -----BEGIN PRIVATE KEY----- ${JWT}`);
          }
          if (k === 3) expect(incident['alerts'].map((a: Json) => a['title'])).to.include('alert password=abc"def -----END PRIVATE KEY-----');
          expect(r.stdout).not.to.include(secret);
        }
      });

      it('Search Incidents lists all of them, nothing between a BEGIN and an END lost, and the message counts what is there', async () => {
        const r = await run('search-incidents', family.env(em), { assigned_to: 'hostile@contoso.com', include_alerts: true, max_results: '100' });
        expect(r.code, r.stdout.slice(0, 300)).to.equal(0);
        const found = r.result['json_result'].incidents as Json[];
        expect(found.map((i) => String(i['id'])).sort()).to.deep.equal(made.map((m) => m.id).sort());
        for (const i of found) expectIncident(i, made.findIndex((m) => m.id === String(i['id'])), family);
        expect(r.result['output_message']).to.match(new RegExp(`\\b${made.length} incident`));
        expect(r.stdout).not.to.include(secret);
      });

      it('a hunting query returns rows holding key blocks, password= command lines and tokens exactly', async () => {
        const device = `hostile-${family.name.length}`;
        const lines = [
          'cmd.exe /c net use \\\\srv\\c$ /user:admin /password=Winter2024!',
          'openssl genrsa | tee key.pem  # -----BEGIN PRIVATE KEY-----',
          `curl -H "Authorization: Bearer ${JWT}" -d 'client_secret=abc"def&password=abc"def'`,
          `-----BEGIN RSA PRIVATE KEY-----\n${FOREIGN_BODY}`,
          '-----END RSA PRIVATE KEY----- "}]}',
          `tool.exe --secret ${secret}`,
        ];
        const now = em.now().getTime();
        em.addHuntingRows('DeviceProcessEvents', lines.map((line, k) => ({ Timestamp: new Date(now - (k + 1) * 60_000).toISOString(), DeviceId: device, DeviceName: device, FileName: `f${k}.exe`, ProcessCommandLine: line, ActionType: 'ProcessCreated' })));
        const r = await run('execute-custom-query', family.env(em), { query: `DeviceProcessEvents | where DeviceId == "${device}" | order by Timestamp desc | project FileName, ProcessCommandLine`, max_results_to_return: '50' });
        expect(r.code, r.stdout.slice(0, 300)).to.equal(0);
        const rows = (r.result['json_result'].rows ?? r.result['json_result'].results) as Json[];
        expect(rows.map((row) => row['ProcessCommandLine'])).to.deep.equal(lines.map((l) => l.replace(secret, '[REDACTED]')));
        expect(r.stdout).not.to.include(secret);
      });

      it('a hunting query Microsoft refuses, its message quoting hostile text: one valid result, the message redacted by pattern inside it', async () => {
        const r = await run('execute-custom-query', family.env(em), { query: `['-----BEGIN PRIVATE KEY----- password=abc"def ${secret}'] | take 1` });
        expect(r.result['status']).to.equal('failed');
        expect(r.code).to.equal(1);
        expect(r.result['error'].code).to.equal('API_ERROR');
        expect(r.result['error'].message).to.include(`'['-----BEGIN PRIVATE KEY----- password=[REDACTED]"def [REDACTED]']'`);
        expect(r.result['output_message']).to.equal(`Execute Custom Query failed: ${r.result['error'].message}`);
        expect(r.logs.find((l) => l['msg'] === 'Execute Custom Query failed')?.['error']).to.equal(r.result['error'].message);
      });
    });
  }

  it('a client certificate whose key has no END line: the configuration error prints valid JSON, its help intact', async () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const cut = key.replace(/-----END PRIVATE KEY-----\s*$/, '');
    const pem = `${cut}-----BEGIN CERTIFICATE-----\nMIIBszCCARygAwIBAgIUcut0short0certificate0body000000000000=\n-----END CERTIFICATE-----\n`;
    const r = await run('ping', { ...em.env, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: pem, M365D_STATE_DIR: emulator.freshState() });
    expect(r.code).to.equal(2);
    expect(r.result['error'].code).to.equal('CONFIGURATION');
    expect(r.result['error'].message).to.match(/^M365D_CLIENT_CERTIFICATE is cut short: the -----BEGIN PRIVATE KEY----- block has no -----END line/);
    for (const line of key.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))) expect(r.stdout + r.stderr).not.to.include(line);
  });

  describe('the Incidents Daemon', () => {
    const DAEMON = entry('incidents-daemon');
    const daemon = async (env: Record<string, string>, input: Json): Promise<RunResult> => {
      const r = await runEntry(DAEMON, { env, input: { ...CONTEXT, ...input }, timeoutMs: 120_000 });
      expectContract(r);
      expect(validateEnvelope(r.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
      expect(r.code, r.stdout.slice(0, 300)).to.equal(0);
      return r;
    };
    const ids = (r: RunResult): string[] => (r.result['json_result'] as Json[]).map((i) => String(i['id']));
    const checkHostile = (items: Json[], family: Family): void => {
      for (const [k, m] of made.entries()) {
        const got = items.filter((i) => String(i['id']) === m.id);
        expect(got, `incident ${m.id} handed over once`).to.have.length(1);
        expectIncident(got[0]!, k, family);
      }
    };

    for (const family of FAMILIES) {
      it(`hands each hostile incident over once with the engine's state (${family.name})`, async () => {
        const env = { ...family.env(em), M365D_STATE_DIR: emulator.freshState() };
        const first = await daemon(env, { first_fetch: '90d', max_incidents_per_run: '1000' });
        const items = first.result['json_result'] as Json[];
        checkHostile(items, family);
        expect(first.result['output_message']).to.match(new RegExp(`\\b${items.length}\\b`));
        const state = first.result['state'] as Json;
        const second = await daemon(env, { first_fetch: '90d', max_incidents_per_run: '1000', state });
        expect(second.result['json_result']).to.deep.equal([]);
        // a hostile incident changed later is handed over again, once, from where the checkpoint stood
        em.updateIncident(made[1]!.id, { displayName: '-----BEGIN PRIVATE KEY----- changed' });
        const third = await daemon(env, { first_fetch: '90d', max_incidents_per_run: '1000', state: second.result['state'] });
        expect(ids(third)).to.deep.equal([made[1]!.id]);
        expect(third.result['json_result'][0].displayName).to.equal('-----BEGIN PRIVATE KEY----- changed');
        em.updateIncident(made[1]!.id, { displayName: made[1]!.displayName });
      });
    }

    it('without engine state: the fallback file moves once, after a valid result, and nothing is lost', async () => {
      const dir = emulator.freshState();
      const env = { ...em.env, M365D_STATE_DIR: dir };
      const first = await daemon(env, { first_fetch: '90d', max_incidents_per_run: '1000' });
      const items = first.result['json_result'] as Json[];
      checkHostile(items, FAMILIES[0]!);
      const folder = path.join(dir, 'daemon');
      const files = fs.readdirSync(folder).filter((f) => f.endsWith('.json'));
      expect(files).to.have.length(1);
      const moved = fs.readFileSync(path.join(folder, files[0]!), 'utf8');
      const second = await daemon(env, { first_fetch: '90d', max_incidents_per_run: '1000' });
      expect(second.result['json_result'], 'nothing handed over twice').to.deep.equal([]);
      em.updateIncident(made[3]!.id, { displayName: '-----END PRIVATE KEY----- changed' });
      const third = await daemon(env, { first_fetch: '90d', max_incidents_per_run: '1000' });
      expect(ids(third), 'the change after the checkpoint, once').to.deep.equal([made[3]!.id]);
      expect(third.result['json_result'][0].displayName).to.equal('-----END PRIVATE KEY----- changed');
      expect(fs.readFileSync(path.join(folder, files[0]!), 'utf8')).not.to.equal(moved);
      em.updateIncident(made[3]!.id, { displayName: made[3]!.displayName });
    });
  });
});
