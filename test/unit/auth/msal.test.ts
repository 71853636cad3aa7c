// The token request through MSAL registers what it signs for a certificate credential (the client assertion, a JWT
// good for minutes) with the redactor, as it registers the token it obtains: the package's own secrets are redacted
// exactly wherever they appear, not by their shape (issue 13).
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fetchWithMsal } from '../../../lib/auth/msal';
import { loadConfig } from '../../../lib/runtime/config';
import type { Logger } from '../../../lib/runtime/log';
import type { HttpRequest } from '../../../lib/http';
import { requireOpenssl } from './openssl';

describe('token request (MSAL)', () => {
  it('registers the client assertion it sends as a secret', async function () {
    this.timeout(20_000);
    requireOpenssl();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'msal-test-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '30', '-subj', '/CN=msal-test'], { cwd: dir, stdio: 'ignore' });
    const pem = `${fs.readFileSync(path.join(dir, 'key.pem'), 'utf8')}${fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8')}`;
    const config = loadConfig({ M365D_TENANT_ID: '11111111-2222-3333-4444-555555555555', M365D_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', M365D_CLIENT_CERTIFICATE: pem, M365D_STATE_DIR: dir });
    const log: Logger = { error() {}, warn() {}, info() {}, debug() {}, enabled: () => false };
    const sent: HttpRequest[] = [];
    const secrets: string[] = [];
    const http = {
      send: async (request: HttpRequest) => {
        sent.push(request);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: 'eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln' }) };
      },
    };
    const token = await fetchWithMsal(config, 'https://graph.microsoft.com/.default', { http, log, addSecret: (s) => void secrets.push(s) });
    expect(token.accessToken).to.equal('eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.c2ln');
    const post = sent.find((r) => r.method === 'POST');
    const assertion = new URLSearchParams(String(post?.body)).get('client_assertion');
    expect(assertion).to.match(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(secrets).to.include(assertion);
  });
});
