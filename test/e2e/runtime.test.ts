// The runtime end to end: the built fixture entries run as an engine runs them (environment, stdin, stdout, exit
// code). No network is involved: the fixture actions call nothing.
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BASE_ENV, entryOf, expectContract, runEntry, type RunResult } from '../support/run';
import { fixtureRoot, repoRoot } from '../support/paths';
import { envelopeValidator, validatorFor } from '../support/schemas';

const ECHO = entryOf('echo');
const DAEMON = entryOf('echo-daemon');
const INPUT = { case_id: 'case-7', alert_group_identifiers: ['g1'], message: 'hello' };
const validateEnvelope = envelopeValidator();
const validateEchoResult = validatorFor(path.join(fixtureRoot, 'schemas/echo.result.schema.json'));

function expectValid(run: RunResult): void {
  expectContract(run);
  expect(validateEnvelope(run.result), JSON.stringify(validateEnvelope.errors)).to.equal(true);
}

describe('runtime end to end (built entries)', function () {
  this.timeout(30_000);

  it('runs an action: coerced parameters, entities in scope, tables, logs carrying the case id', async () => {
    const run = await runEntry(ECHO, {
      input: {
        ...INPUT,
        count: '3',
        loud: 'true',
        mode: ['Upper'],
        target_entities: [
          { Identifier: '10.0.0.5', EntityType: 'ip', IsSuspicious: 'true' },
          { Identifier: '10.0.0.5', EntityType: 'ADDRESS' },
          { Identifier: 'alice@contoso.com', EntityType: 'USERUNIQNAME' },
          { Identifier: 'd41d8cd98f00b204e9800998ecf8427e', EntityType: 'FILEHASH' },
        ],
      },
    });
    expectValid(run);
    expect(run.code).to.equal(0);
    expect(run.result).to.deep.include({ status: 'completed', result_value: true, output_message: 'Echoed "HELLO!" 3 time(s) for 2 entities.' });
    expect(validateEchoResult(run.result['json_result']), JSON.stringify(validateEchoResult.errors)).to.equal(true);
    expect(run.result['json_result']).to.deep.include({ message: 'HELLO!', count: 3, loud: true, mode: 'Upper', case_id: 'case-7', alert_group_identifiers: ['g1'] });
    expect(run.result['json_result'].entities).to.deep.equal([
      { identifier: '10.0.0.5', type: 'ADDRESS', types: ['ADDRESS'] },
      { identifier: 'alice@contoso.com', type: 'USERUNIQNAME', types: ['USERUNIQNAME', 'EMAILADDRESS'], email: 'alice@contoso.com' },
    ]);
    expect(run.result['entities'].map((e: Record<string, string>) => `${e['EntityType']}:${e['status']}`)).to.deep.equal(['ADDRESS:success', 'USERUNIQNAME:success', 'FILEHASH:skipped']);
    expect(run.result['tables'][0]).to.deep.equal({ title: 'Echo', columns: ['Identifier', 'Type'], rows: [['10.0.0.5', 'ADDRESS'], ['alice@contoso.com', 'USERUNIQNAME']] });
    const started = run.logs.find((l) => l['msg'] === 'Echo started');
    expect(started).to.deep.include({ level: 'info', action: 'echo', case_id: 'case-7', entities: 2, skipped_entities: 1, duplicate_entities: 1 });
  });

  it('resolves the scope given in the input', async () => {
    const targets = [
      { Identifier: 'ws-01', EntityType: 'HOSTNAME', IsSuspicious: true },
      { Identifier: '10.0.0.9', EntityType: 'ADDRESS', IsInternal: 'true' },
      { Identifier: 'bob@contoso.com', EntityType: 'EMAIL' },
    ];
    const ids = async (scope: string) => (await runEntry(ECHO, { input: { ...INPUT, target_entities: targets, scope } })).result['json_result'].entities.map((e: { identifier: string }) => e.identifier);
    expect(await ids('Suspicious entities')).to.deep.equal(['ws-01']);
    expect(await ids('internal entities')).to.deep.equal(['10.0.0.9']);
    expect(await ids('External Entities')).to.deep.equal(['ws-01', 'bob@contoso.com']);
    expect(await ids('EMAILADDRESS, ip')).to.deep.equal(['10.0.0.9', 'bob@contoso.com']);
    const bad = await runEntry(ECHO, { input: { ...INPUT, scope: 'Risky entities' } });
    expectValid(bad);
    expect(bad.result['error']).to.deep.include({ code: 'INVALID_INPUT' });
    expect(bad.result['error'].message).to.match(/Parameter 'scope' names 'Risky entities'/);
  });

  it('reads all of an input that arrives slowly, in pieces', async () => {
    const run = await runEntry(ECHO, { input: { ...INPUT, message: 'x'.repeat(200_000) }, slowInputMs: 300 });
    expectValid(run);
    expect(run.result['json_result'].message).to.have.length(200_000);
  });

  it('reads the input from --input FILE, from any working directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-'));
    const file = path.join(dir, 'input.json');
    fs.writeFileSync(file, JSON.stringify({ ...INPUT, message: 'from a file' }));
    const run = await runEntry(ECHO, { args: ['--input', file], input: null, cwd: dir });
    expectValid(run);
    expect(run.result['json_result'].message).to.equal('from a file');
  });

  describe('bad input: exit 2, one JSON object naming the problem', () => {
    const cases: Array<[string, Partial<Parameters<typeof runEntry>[1]>, RegExp]> = [
      ['an empty stdin (input {})', { input: null }, /^Missing required parameter 'case_id'\. Missing required parameter 'alert_group_identifiers'\. Missing required parameter 'message'\.$/],
      ['text that is not JSON', { input: '{"case_id": "1",' }, /^The input on stdin is not valid JSON/],
      ['a JSON array', { input: '[1,2]' }, /must be a JSON object keyed by parameter names; got an array/],
      ['an unknown key', { input: { ...INPUT, max_result: '5' } }, /^Unknown parameter 'max_result'; valid parameters: case_id, /],
      ['a number that is not one', { input: { ...INPUT, count: 'many' } }, /^Parameter 'count' must be a whole number \(e\.g\. "50"\); got "many"\.$/],
      ['a drop-down value outside its list', { input: { ...INPUT, mode: 'Shout' } }, /^Parameter 'mode' must be one of: Plain, Upper; got "Shout"\.$/],
      ['an entity without a type', { input: { ...INPUT, target_entities: [{ Identifier: 'x' }] } }, /^target_entities\[0\] is missing 'EntityType'\.$/],
      ['an unknown argument', { args: ['--verbose'], input: INPUT }, /^Unknown command-line argument "--verbose"/],
      ['bytes that are not UTF-8', { input: Buffer.concat([Buffer.from('{"case_id":"c'), Buffer.from([0xc3, 0x28]), Buffer.from('","alert_group_identifiers":[],"message":"hi"}')]) }, /^The input on stdin is not valid UTF-8 \(byte 15 of \d+\); send the JSON encoded as UTF-8\.$/],
      ['input nested thousands deep', { input: `{"case_id":"1","alert_group_identifiers":[],"message":"m","state":${'['.repeat(100_000)}${']'.repeat(100_000)}}` }, /^The input on stdin nests arrays and objects 100001 levels deep; at most 64 are taken/],
      ['an entity type named constructor in the scope', { input: { ...INPUT, scope: 'constructor' } }, /^Parameter 'scope' names 'constructor', which is not an entity type or scope/],
      ['a parameter with a control character', { input: { ...INPUT, message: 'bell\u0007' } }, /^Parameter 'message' contains the control character U\+0007 at position 5/],
      ['a missing --input file', { args: ['--input', '/no/such/input.json'], input: null }, /--input file "\/no\/such\/input\.json" cannot be read \(ENOENT\)/],
    ];
    for (const [what, options, message] of cases) {
      it(what, async () => {
        const run = await runEntry(ECHO, options);
        expectValid(run);
        expect(run.code).to.equal(2);
        expect(run.result['error'].code).to.equal('INVALID_INPUT');
        expect(run.result['error'].message).to.match(message);
        expect(run.result['output_message']).to.equal(`Echo failed: ${run.result['error'].message}`);
      });
    }
  });

  describe('bad configuration: exit 2 before anything runs', () => {
    const cases: Array<[string, Record<string, string | undefined>, RegExp]> = [
      ['no tenant', { M365D_TENANT_ID: undefined }, /^M365D_TENANT_ID is required/],
      ['no credential', { M365D_CLIENT_SECRET: undefined }, /^Neither M365D_CLIENT_SECRET nor M365D_CLIENT_CERTIFICATE is set/],
      ['an unparsable API URL', { M365D_API_URL: 'https://bad host' }, /^M365D_API_URL "https:\/\/bad host" is not a URL/],
      ['a custom host without a flavour', { M365D_API_URL: 'https://127.0.0.1:9' }, /set M365D_API_FLAVOR to graph or defender/],
      ['an unknown cloud', { M365D_CLOUD: 'Mooncake' }, /^M365D_CLOUD "Mooncake" is not a cloud/],
      ['a bad timeout', { M365D_TIMEOUT: '0' }, /^M365D_TIMEOUT "0" is not a number of seconds/],
    ];
    for (const [what, env, message] of cases) {
      it(what, async () => {
        const run = await runEntry(ECHO, { env: { ...BASE_ENV, ...env }, input: INPUT });
        expectValid(run);
        expect(run.code).to.equal(2);
        expect(run.result['error']).to.deep.include({ code: 'CONFIGURATION' });
        expect(run.result['error'].message).to.match(message);
        expect(run.logs.some((l) => l['msg'] === 'Echo started'), 'the action did not start').to.equal(false);
      });
    }
  });

  it('maps every error code to its exit code', async () => {
    const codes = ['INVALID_INPUT', 'CONFIGURATION', 'AUTHENTICATION', 'PERMISSION', 'NOT_FOUND', 'THROTTLED', 'API_ERROR', 'NETWORK', 'TIMEOUT', 'INTERNAL'];
    const runs = await Promise.all(codes.map((code) => runEntry(ECHO, { input: { ...INPUT, fail_with: code } })));
    runs.forEach((run, i) => {
      expectValid(run);
      expect(run.result['error']).to.deep.equal({ code: codes[i], message: `Asked to fail with ${codes[i]}.` });
      expect(run.code).to.equal(i < 2 ? 2 : 1);
    });
  });

  it('turns a crash outside the action, or an unhandled rejection, into one failed result', async () => {
    for (const how of ['crash', 'reject']) {
      const run = await runEntry(ECHO, { input: { ...INPUT, fail_with: how } });
      expectValid(run);
      expect(run.code).to.equal(1);
      expect(run.result['error'].code).to.equal('INTERNAL');
      expect(run.result['error'].message).to.match(how === 'crash' ? /crashed outside the action/ : /an unhandled rejection/);
    }
  });

  it('fails with TIMEOUT at the deadline from the manifest', async () => {
    const run = await runEntry(ECHO, { input: { ...INPUT, sleep_ms: '10000' } });
    expectValid(run);
    expect(run.code).to.equal(1);
    expect(run.result['error']).to.deep.equal({ code: 'TIMEOUT', message: 'Echo did not finish within its 2 seconds.' });
  });

  it('fails with TIMEOUT at M365D_ACTION_TIMEOUT when the engine gives less than the manifest (and never later than the manifest)', async () => {
    const run = await runEntry(ECHO, { input: { ...INPUT, sleep_ms: '10000' }, env: { ...BASE_ENV, M365D_ACTION_TIMEOUT: '1' } });
    expectValid(run);
    expect(run.code).to.equal(1);
    expect(run.result['error']).to.deep.equal({ code: 'TIMEOUT', message: 'Echo did not finish within its 1 seconds (M365D_ACTION_TIMEOUT).' });
    const more = await runEntry(ECHO, { input: { ...INPUT, sleep_ms: '10000' }, env: { ...BASE_ENV, M365D_ACTION_TIMEOUT: '600' } });
    expect(more.result['error']).to.deep.equal({ code: 'TIMEOUT', message: 'Echo did not finish within its 2 seconds.' });
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const) {
    it(`answers ${signal} with one failed result and no state`, async () => {
      const run = await runEntry(ECHO, { input: { ...INPUT, sleep_ms: '10000' }, kill: { signal, afterLog: /Echo started/ } });
      expectValid(run);
      expect(run.code).to.equal(1);
      expect(run.result['error']).to.deep.equal({ code: 'TIMEOUT', message: `The run was stopped by ${signal} before it finished; nothing was handed over.` });
    });
  }

  it('keeps stdout to the result whatever else writes to it; strays become log lines', async () => {
    const run = await runEntry(ECHO, { input: { ...INPUT, stray_output: true } });
    expectValid(run);
    const diverted = run.logs.filter((l) => /^Unexpected output on (stdout|stderr)/.test(l['msg'])).map((l) => l['text']);
    expect(diverted).to.include.members(['noisy dependency loaded', 'noisy dependency called', 'stray console.log from the action', 'stray stdout write', 'stray console.error', 'Warning: a stray warning']);
    expect(run.result['status']).to.equal('completed');
  });

  it('logs at the configured level', async () => {
    const quiet = await runEntry(ECHO, { env: { ...BASE_ENV, M365D_LOG_LEVEL: 'error' }, input: INPUT });
    expectValid(quiet);
    expect(quiet.logs).to.deep.equal([]);
    const debug = await runEntry(ECHO, { env: { ...BASE_ENV, M365D_LOG_LEVEL: 'debug' }, input: INPUT });
    expectValid(debug);
    const cfg = debug.logs.find((l) => l['msg'] === 'Configuration');
    expect(cfg).to.deep.include({ level: 'debug', api_flavor: 'graph', credential: 'secret' });
    expect(JSON.stringify(debug.logs)).not.to.include(BASE_ENV['M365D_CLIENT_SECRET']);
    const warned = await runEntry(ECHO, { env: { ...BASE_ENV, M365D_VERIFY_SSL: 'false' }, input: INPUT });
    expect(warned.logs.some((l) => l['level'] === 'warn' && /server certificates are not verified/.test(l['msg']))).to.equal(true);
  });

  describe('daemon state', () => {
    const DAEMON_INPUT = { case_id: 'daemon', alert_group_identifiers: [] };
    it('hands back a checkpoint and takes it on the next run', async () => {
      const first = await runEntry(DAEMON, { input: DAEMON_INPUT });
      expectValid(first);
      expect(first.result['state']).to.deep.equal({ version: 1, runs: 1 });
      const second = await runEntry(DAEMON, { input: { ...DAEMON_INPUT, state: first.result['state'] } });
      expect(second.result['json_result']).to.deep.equal([{ run: 2 }]);
      expect(second.result['state']).to.deep.equal({ version: 1, runs: 2 });
    });
    it('returns no checkpoint when it fails, and no state from a non-daemon action', async () => {
      const failed = await runEntry(DAEMON, { input: { ...DAEMON_INPUT, state: 'not an object' } });
      expectValid(failed);
      expect(failed.result).not.to.have.property('state');
      expect(failed.result['error'].message).to.equal(`Parameter 'state' must be an object; got "not an object".`);
      const echo = await runEntry(ECHO, { input: { ...INPUT, state: { runs: 5 } } });
      expectValid(echo);
      expect(echo.result).not.to.have.property('state');
    });
  });

  describe('secrets never reach stdout or stderr', () => {
    // one planted secret per secret configuration field of the manifest, plus passwords inside proxy URLs
    const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'manifest/manifest.json'), 'utf8')) as { configuration: Array<{ env: string; secret: boolean }> };
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const certPem = `${keyPem}-----BEGIN CERTIFICATE-----\nMIIBszCCARygAwIBAgIUplanted0certificate0body0000000000000=\n-----END CERTIFICATE-----\n`;
    const planted: Record<string, string> = {
      M365D_CLIENT_SECRET: 'Planted~Client.Secret_9f8e7d6c5b4a',
      M365D_CLIENT_CERTIFICATE: certPem,
      M365D_PROXY_URL: 'http://proxyuser:Planted-Proxy-P%40ss-1234@proxy.invalid:3128',
    };
    const forbidden = [
      'Planted~Client.Secret_9f8e7d6c5b4a',
      'Planted-Proxy-P%40ss-1234',
      'Planted-Proxy-P@ss-1234',
      ...keyPem.split('\n').filter((l) => /^[A-Za-z0-9+/=]{16,}$/.test(l)),
    ];

    it('plants a secret in every secret field of the manifest', () => {
      const secretFields = manifest.configuration.filter((f) => f.secret).map((f) => f.env).sort();
      expect(secretFields).to.deep.equal(Object.keys(planted).sort());
    });

    const scenarios: Array<[string, Record<string, string | undefined>, Record<string, unknown>]> = [
      ['a completed run that tries to print them', { M365D_LOG_LEVEL: 'debug' }, { ...INPUT, leak_secrets: true, stray_output: true }],
      ['a failed run whose error carries them', {}, { ...INPUT, leak_secrets: true, fail_with: 'API_ERROR' }],
      ['a certificate run that prints the key', { M365D_CLIENT_SECRET: undefined }, { ...INPUT, leak_secrets: true }],
      ['a configuration error', { M365D_TENANT_ID: 'not a tenant' }, INPUT],
      ['a bad certificate path', { M365D_CLIENT_CERTIFICATE: 'Planted~Client.Secret_9f8e7d6c5b4a' }, INPUT],
      ['a bad proxy URL', { M365D_PROXY_URL: 'socks5://proxyuser:Planted-Proxy-P%40ss-1234@proxy.invalid:1080' }, INPUT],
      ['the proxy from HTTPS_PROXY', { M365D_PROXY_URL: undefined, HTTPS_PROXY: 'http://proxyuser:Planted-Proxy-P%40ss-1234@proxy.invalid:3128' }, { ...INPUT, leak_secrets: true }],
      ['invalid input', {}, { ...INPUT, unknown_param: 'Planted~Client.Secret_9f8e7d6c5b4a' }],
    ];
    for (const [what, env, input] of scenarios) {
      it(what, async () => {
        const run = await runEntry(ECHO, { env: { ...BASE_ENV, ...planted, ...env }, input });
        expectValid(run);
        for (const secret of forbidden) {
          expect(run.stdout, `stdout holds ${secret}`).not.to.include(secret);
          expect(run.stderr, `stderr holds ${secret}`).not.to.include(secret);
        }
        expect(run.stdout + run.stderr).not.to.match(/eyJhbGciOiJSUzI1NiJ9\.eyJzdWIi/);
      });
    }

    it('data holding key blocks, password= forms and token shapes comes back exactly, only the known secrets replaced', async () => {
      const hostile = [
        'x -----BEGIN PRIVATE KEY----- no end line',
        'password=abc"def client_secret=abc"def access_token=x\\"y',
        'cmd /c net use \\\\srv\\c$ /password=Winter2024!',
        '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n-----END RSA PRIVATE KEY-----',
        'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmFseXN0In0.c2lnbmF0dXJlLXVua25vd24 Bearer abcdefghijklmnop http://bob:hunter2@proxy:3128',
      ];
      const message = [...hostile, `the client secret ${planted['M365D_CLIENT_SECRET']} in data`].join(' | ');
      const run = await runEntry(ECHO, { env: { ...BASE_ENV, ...planted }, input: { ...INPUT, message } });
      expectValid(run);
      expect(run.code).to.equal(0);
      const expected = [...hostile, 'the client secret [REDACTED] in data'].join(' | ');
      expect(run.result['json_result'].message).to.equal(expected);
      expect(run.result['output_message']).to.equal(`Echoed ${JSON.stringify(expected)} 1 time(s) for 0 entities.`);
      for (const secret of forbidden) expect(run.stdout + run.stderr).not.to.include(secret);
    });

    it('a 10 MB case id: the log lines stay normal lines, with the case id shortened', async () => {
      const caseId = `case-${'7'.repeat(10 * 1024 * 1024)}`;
      const run = await runEntry(ECHO, { input: { ...INPUT, case_id: caseId }, timeoutMs: 60_000 });
      expectValid(run);
      expect(run.code).to.equal(0);
      expect(run.result['json_result'].case_id).to.equal(caseId); // the result is data: kept whole
      const lines = run.stderr.split('\n').filter(Boolean);
      expect(lines.length).to.be.greaterThan(1);
      for (const line of lines) {
        expect(line.length, 'a log line').to.be.below(2000);
        expect(JSON.parse(line).case_id).to.equal(`${caseId.slice(0, 256)}... (${caseId.length} characters in all)`);
      }
    });

    it('a bad M365D_PROXY_URL: its help text is not damaged by redaction', async () => {
      const run = await runEntry(ECHO, { env: { ...BASE_ENV, M365D_PROXY_URL: 'http://a b' }, input: INPUT });
      expectValid(run);
      expect(run.code).to.equal(2);
      expect(run.result['error'].message).to.equal('M365D_PROXY_URL is not a URL; give http://host:port or http://user:password@host:port.');
      expect(run.logs.find((l) => l['msg'] === 'Echo failed')?.['error']).to.equal(run.result['error'].message);
    });

    it('a configuration error naming a key block prints valid JSON, its text intact', async () => {
      const keyOnly = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n';
      const run = await runEntry(ECHO, { env: { ...BASE_ENV, M365D_CLIENT_SECRET: undefined, M365D_CLIENT_CERTIFICATE: keyOnly }, input: INPUT });
      expectValid(run);
      expect(run.code).to.equal(2);
      expect(run.result['error']).to.deep.equal({ code: 'CONFIGURATION', message: 'M365D_CLIENT_CERTIFICATE holds no certificate: give the PEM with both the private key and its certificate.' });
      expect(run.stdout + run.stderr).not.to.include('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
    });

    it('a result written in many chunks, with them in thousands of entities', async () => {
      const target_entities = Array.from({ length: 3000 }, (_, i) => ({ Identifier: `host-${i}-Planted~Client.Secret_9f8e7d6c5b4a-Planted-Proxy-P@ss-1234`, EntityType: 'HOSTNAME' }));
      const run = await runEntry(ECHO, { env: { ...BASE_ENV, ...planted }, input: { ...INPUT, leak_secrets: true, message: 'm'.repeat(150_000), target_entities } });
      expectValid(run);
      expect(run.stdout.length).to.be.greaterThan(400_000); // more than six chunks of 64 KB
      expect(`${JSON.stringify(JSON.parse(run.stdout))}\n`).to.equal(run.stdout); // one JSON object, as JSON.stringify writes it
      for (const secret of forbidden) expect(run.stdout, `stdout holds ${secret}`).not.to.include(secret);
      const entities = run.result['json_result'].entities as Array<{ identifier: string }>;
      expect(entities).to.have.length(3000);
      for (const [i, e] of entities.entries()) expect(e.identifier).to.equal(`host-${i}-[REDACTED]-[REDACTED]`);
    });
  });
});
