// A 503 through the whole client (lib/defender/api.ts over lib/http/retry.ts), against a stand-in transport: with
// Retry-After it is Microsoft's "come back later" and is retried, even for a POST; without one, a request that is not
// repeated (idempotent: false) gets it back at once, as an unknown outcome whose message says so (like 502 and 504).
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheKey } from '../../../lib/auth';
import { TokenCache } from '../../../lib/auth/cache';
import { createDefenderApi, isUnknownOutcome, type ApiCall } from '../../../lib/defender/api';
import type { HttpRequest, HttpResponse, Transport } from '../../../lib/http';
import { loadConfig } from '../../../lib/runtime/config';
import { ActionError } from '../../../lib/runtime/errors';
import type { Logger } from '../../../lib/runtime/log';

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {}, enabled: () => false };
const unavailable = (headers: Record<string, string> = {}): HttpResponse => ({ status: 503, headers, body: JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'try later' } }) });
const ok: HttpResponse = { status: 200, headers: {}, body: JSON.stringify({ id: '1', indicatorValue: 'x', indicatorType: 'FileMd5' }) };

/** The API over a transport that plays `answers` in order (the token is cached: no token request). */
function setup(answers: HttpResponse[]) {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'unavailable-'));
  const config = loadConfig({ M365D_TENANT_ID: '11111111-2222-3333-4444-555555555555', M365D_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', M365D_CLIENT_SECRET: 'unavailable-test-secret', M365D_STATE_DIR: stateDir });
  const scope = 'https://api.securitycenter.microsoft.com/.default';
  new TokenCache(stateDir, cacheKey(config, scope)).write({ accessToken: 'mde-token', expiresOn: Math.floor(Date.now() / 1000) + 3600, scope, tokenType: 'Bearer' });
  const sent: HttpRequest[] = [];
  const transport: Transport = {
    async send(r) {
      sent.push(r);
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      return next;
    },
  };
  const api = createDefenderApi({ config, log: silent, deadline: Date.now() + 20_000, addSecret() {}, transport, resource: 'indicators' });
  return { api, sent };
}

const POST: ApiCall = { method: 'POST', path: '/api/indicators', body: { indicatorValue: 'x' }, label: 'submitting indicator x', capability: 'indicators', idempotent: false, unknownOutcome: 'The indicator x may have been submitted: it was not sent again.' };

const failure = async (p: Promise<unknown>): Promise<unknown> => p.then(() => 'no error', (err: unknown) => err);

describe('a 503 through the API client (lib/defender/api.ts, lib/http/retry.ts)', () => {
  it('a POST answered 503 without Retry-After is not sent again, and its outcome is unknown', async () => {
    const { api, sent } = setup([unavailable(), ok]);
    const err = await failure(api.call(POST));
    expect(sent).to.have.length(1);
    expect(err).to.be.instanceOf(ActionError);
    expect((err as ActionError).code).to.equal('API_ERROR');
    expect((err as ActionError).message).to.match(/HTTP 503.*The indicator x may have been submitted: it was not sent again\.$/);
    expect(isUnknownOutcome(err)).to.equal(true);
  });

  it('a POST answered 503 with Retry-After is retried after the wait and answers', async () => {
    const { api, sent } = setup([unavailable({ 'retry-after': '0.05' }), ok]);
    expect(await api.call(POST)).to.deep.include({ id: '1' });
    expect(sent.map((r) => r.method)).to.deep.equal(['POST', 'POST']);
  });

  it('a POST still answered 503 with Retry-After when the attempts run out is a plain failure: the service said it did not take it', async () => {
    const { api, sent } = setup([1, 2, 3, 4, 5].map(() => unavailable({ 'retry-after': '0.01' })));
    const err = await failure(api.call(POST));
    expect(sent).to.have.length(5);
    expect((err as ActionError).code).to.equal('API_ERROR');
    expect(isUnknownOutcome(err)).to.equal(false);
    expect((err as ActionError).message).not.to.match(/may have been submitted/);
  });
});
