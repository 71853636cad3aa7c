// scripts/run-action: runs a built entry as an engine does, raw JSON when piped, readable on a terminal.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixtureRoot, repoRoot } from '../support/paths';
import { BASE_ENV, cleanEnv } from '../support/run';

const HARNESS = path.join(repoRoot, 'scripts', 'run-action');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const harness = require(HARNESS) as {
  parseEnvFile(text: string, file: string): Record<string, string>;
  parseArgs(argv: string[]): { params: Array<[string, string]>; entities: unknown[]; action?: string };
  buildInput(opts: unknown): Record<string, unknown>;
  render(result: unknown, action: { name: string }, code: number): string;
  displayWidth(text: string): number;
};

function runHarness(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HARNESS, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('run-action harness', function () {
  this.timeout(30_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-'));
  const envFile = path.join(dir, 'test.env');
  fs.writeFileSync(envFile, Object.entries(BASE_ENV).map(([k, v]) => `${k}=${v}`).join('\n'));

  it('sends --param values as strings and --entity as target entities, and passes the raw JSON through when piped', async () => {
    const r = await runHarness(['echo', '--root', fixtureRoot, '--env-file', envFile, '--param', 'message=hi', '--param', 'count=2', '--param', 'mode=upper', '--entity', 'IP:10.0.0.5', '--entity', 'URL:https://x.example/a:b']);
    expect(r.code).to.equal(0);
    const result = JSON.parse(r.stdout);
    expect(result.json_result).to.deep.include({ message: 'HI', count: 2, case_id: 'local-run', alert_group_identifiers: [] });
    expect(result.entities.map((e: { Identifier: string }) => e.Identifier)).to.deep.equal(['10.0.0.5', 'https://x.example/a:b']);
    for (const line of r.stderr.trim().split('\n')) expect(JSON.parse(line)).to.include.keys('level', 'msg');
  });

  it('passes the action\'s exit code and failed result through', async () => {
    const r = await runHarness(['echo', '--root', fixtureRoot, '--env-file', envFile, '--param', 'message=hi', '--param', 'count=9']);
    expect(r.code).to.equal(2);
    expect(JSON.parse(r.stdout).error).to.deep.equal({ code: 'INVALID_INPUT', message: "Parameter 'count' must be at most 5; got 9." });
  });

  it('finds actions by id or name, starts from an --input file, and takes the configuration from the environment too', async () => {
    const input = path.join(dir, 'in.json');
    fs.writeFileSync(input, JSON.stringify({ case_id: 'C-9', alert_group_identifiers: ['g'], message: 'file', target_entities: [{ Identifier: 'h1', EntityType: 'HOSTNAME' }] }));
    const r = await runHarness(['Echo', '--root', fixtureRoot, '--input', input, '--entity', 'HOST:h2'], BASE_ENV);
    expect(r.code).to.equal(0);
    const result = JSON.parse(r.stdout);
    expect(result.json_result).to.deep.include({ message: 'file', case_id: 'C-9' });
    expect(result.json_result.entities.map((e: { identifier: string }) => e.identifier)).to.deep.equal(['h1', 'h2']);
  });

  it('says which actions exist when asked for one that does not, and exits 2', async () => {
    const r = await runHarness(['nope', '--root', fixtureRoot]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/no action "nope" in .*manifest\.json; the actions are:\n {2}echo +Echo\n {2}echo-daemon +Echo Daemon/);
    expect(r.stdout).to.equal('');
    const bad = await runHarness(['echo', '--root', fixtureRoot, '--entity', 'novalue']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/--entity takes TYPE:identifier/);
  });

  it('collects a repeated --param into a list', () => {
    const input = harness.buildInput({ ...harness.parseArgs(['echo', '--param', 'tags=a', '--param', 'tags=b', '--param', 'x=1=2']), root: repoRoot });
    expect(input).to.deep.include({ tags: ['a', 'b'], x: '1=2', case_id: 'local-run', alert_group_identifiers: [] });
  });

  it('reads env files: comments, export, quotes, multi-line PEM values', () => {
    const env = harness.parseEnvFile(
      ['# a comment', 'export A=1', 'B = "two words" # note', "C='single $x'", 'D="-----BEGIN CERTIFICATE-----', 'MIIB', '-----END CERTIFICATE-----"', 'E=plain # trailing', 'F="esc\\"aped\\n"'].join('\n'),
      'x.env',
    );
    // dotenv keeps the backslash of \" (it only keeps the quote from ending the value)
    expect(env).to.deep.equal({ A: '1', B: 'two words', C: 'single $x', D: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', E: 'plain', F: 'esc\\"aped\n' });
    expect(() => harness.parseEnvFile('NOT A LINE', 'y.env')).to.throw(/y\.env:1: expected KEY=VALUE/);
    expect(() => harness.parseEnvFile('A=1\r\n\r\n  two words\r\n', 'z.env')).to.throw(/z\.env:3: expected KEY=VALUE/);
  });

  it('reads escapes, quotes and comments the way dotenv does', () => {
    // each line: what it says in the file, and the value dotenv's parse gives for it
    const cases: Array<[string, string]> = [
      ['DQ="a\\nb\\rc"', 'a\nb\rc'], // double quotes: \n and \r become a newline and a carriage return
      ['DQ="tab\\t back\\\\slash \\$x"', 'tab\\t back\\\\slash \\$x'], // ... and nothing else is unescaped
      ["SQ='a\\nb'", 'a\\nb'], // single quotes: literal
      ['BQ=`a\\nb "q" \'s\'`', 'a\\nb "q" \'s\''], // backticks: literal, other quotes inside
      ['UQ=a\\nb', 'a\\nb'], // unquoted: literal
      ['UQ=  spaced out  ', 'spaced out'], // unquoted: trimmed
      ['UQ=value # comment', 'value'],
      ['UQ=a#b', 'a'], // an unquoted value ends at any #
      ['DQ="  kept  " # comment', '  kept  '],
      ['DQ="has # inside"', 'has # inside'],
      ['SQ=\'it\\\'s\'', "it\\'s"], // a quote after a backslash does not end the value, the backslash stays
      ['DQ="a" trailing', '"a" trailing'], // text after the closing quote: read as unquoted, quotes kept
      ['DQ="open', '"open'], // a quote nothing closes stays in the value
      ['JSON={"a": "b"}', '{"a": "b"}'],
      ['EMPTY=', ''],
      ['EMPTY=   # only a comment', ''],
      ["EMPTY=''", ''],
      ['EQ=a=b==', 'a=b=='],
      ['  export   SPACED  =  v ', 'v'],
      ['COLON: v', 'v'],
    ];
    for (const [line, value] of cases) {
      const env = harness.parseEnvFile(line, 'cases.env');
      expect(Object.values(env), line).to.deep.equal([value]);
    }
    // multi-line values in any quotes; CRLF files; a later line wins
    const env = harness.parseEnvFile('M="one\r\ntwo\\n"\r\nB=`x\r\ny`\r\nS=\'p\r\nq\'\r\nM2=first\r\nM2=second\r\n', 'multi.env');
    expect(env).to.deep.equal({ M: 'one\ntwo\n', B: 'x\ny', S: 'p\nq', M2: 'second' });
  });

  it('renders a result readably: status, message, entities, tables', () => {
    const text = harness.render(
      {
        status: 'completed',
        result_value: true,
        output_message: 'Found 2 rows.',
        json_result: {},
        entities: [{ Identifier: '10.0.0.5', EntityType: 'ADDRESS', status: 'success', message: 'in the query' }],
        tables: [{ title: 'Rows', columns: ['DeviceName', 'Count'], rows: [['ws-01', 3], ['a-very-long-device-name-that-goes-on-and-on-and-on.contoso.local', null]] }],
      },
      { name: 'Execute Query' },
      0,
    );
    expect(text).to.include('completed  Execute Query  result_value=true  exit=0');
    expect(text).to.include('Found 2 rows.');
    expect(text).to.match(/Identifier +EntityType +status +message\n-+ +-+ +-+ +-+\n10\.0\.0\.5 +ADDRESS +success +in the query/);
    expect(text).to.match(/Rows \(2 rows\)\nDeviceName +Count\n-+ +-+\nws-01 +3\na-very-long-device-name-that-goes-on-and-on-a\.\.\./);
    const failed = harness.render({ status: 'failed', result_value: false, output_message: 'X failed: no', json_result: {}, error: { code: 'PERMISSION', message: 'no' } }, { name: 'X' }, 1);
    expect(failed).to.include('failed  X  result_value=false  exit=1');
    expect(failed).to.include('X failed: no\nerror code PERMISSION');
  });

  it('aligns table columns by the width a terminal shows: CJK and emoji take two columns, combining marks none', () => {
    const widths: Array<[string, number]> = [['abc', 3], ['名前', 4], ['한글', 4], ['ＡＢ', 4], ['ｱｲ', 2], ['e\u0301x', 2], ['👍', 2], ['👨\u200d👩\u200d👧', 2], ['🇯🇵', 2], ['❤\ufe0f', 2], ['a\u200bb', 2]];
    for (const [text, width] of widths) expect(harness.displayWidth(text), JSON.stringify(text)).to.equal(width);
    const text = harness.render(
      {
        status: 'completed', result_value: true, output_message: 'Found 5 rows.', json_result: {},
        tables: [{ title: 'Rows', columns: ['ファイル名', 'Count'], rows: [['東京.exe', 1], ['abc', 22], ['cafe\u0301', 3], ['👍 ok', 4], ['東'.repeat(30), 5]] }],
      },
      { name: 'Execute Query' },
      0,
    );
    const lines = text.split('\n');
    const at = lines.indexOf('Rows (5 rows)');
    // the second column starts at display column 47 on every line: the first is as wide as its widest cell (a cut one:
    // 22 CJK characters, 44 columns, and "..."), then two spaces
    expect(lines.slice(at + 1, at + 8)).to.deep.equal([
      `ファイル名${' '.repeat(37)}  Count`,
      `${'-'.repeat(47)}  -----`,
      `東京.exe${' '.repeat(39)}  1`,
      `abc${' '.repeat(44)}  22`,
      `cafe\u0301${' '.repeat(43)}  3`,
      `👍 ok${' '.repeat(42)}  4`,
      `${'東'.repeat(22)}...  5`,
    ]);
  });

  it('shows a control character in a cell as \ufffd, so that data cannot drive the terminal', () => {
    const text = harness.render({ status: 'completed', result_value: true, output_message: 'm', json_result: {}, tables: [{ title: 'T', columns: ['c'], rows: [['a\u001b[2Jb\u0007']] }] }, { name: 'X' }, 0);
    expect(text).to.include('a\ufffd[2Jb\ufffd');
    expect(text).not.to.include('\u001b');
  });
});
