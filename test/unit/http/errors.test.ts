import { expect } from 'chai';
import { errorForResponse, errorForTransport, parseMicrosoftError } from '../../../lib/http/errors';
import { TransportError } from '../../../lib/http/transport';
import { errorForTokenResponse } from '../../../lib/auth/errors';
import { loadConfig } from '../../../lib/runtime/config';

const graph403 = JSON.stringify({ error: { code: 'Forbidden', message: 'Missing application roles. API required roles: SecurityIncident.ReadWrite.All.', innerError: { date: 'x', 'request-id': 'r' } } });
const defender404 = JSON.stringify({ error: { code: 'ResourceNotFound', message: 'Incident 7 was not found', target: 'abc' } });
const op = { label: 'updating incident 7', permission: 'SecurityIncident.ReadWrite.All', api: 'Microsoft Graph' };

describe('Microsoft error mapping', () => {
  it('reads the code and message of each body shape', () => {
    expect(parseMicrosoftError(graph403)).to.deep.equal({ code: 'Forbidden', message: 'Missing application roles. API required roles: SecurityIncident.ReadWrite.All.' });
    expect(parseMicrosoftError(defender404)).to.deep.equal({ code: 'ResourceNotFound', message: 'Incident 7 was not found' });
    expect(parseMicrosoftError('{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret.\\r\\nTrace ID: 1"}')).to.deep.equal({ code: 'invalid_client', message: 'AADSTS7000215: Invalid client secret.' });
    expect(parseMicrosoftError('<html><body><h1>502 Bad Gateway</h1></body></html>')).to.deep.equal({ message: '502 Bad Gateway' });
    expect(parseMicrosoftError('')).to.deep.equal({});
  });

  it('maps statuses to the contract codes with actionable messages', () => {
    const e403 = errorForResponse({ status: 403, headers: {}, body: graph403 }, op);
    expect(e403.code).to.equal('PERMISSION');
    expect(e403.message).to.equal('The app lacks the SecurityIncident.ReadWrite.All application permission (with admin consent) that updating incident 7 needs on Microsoft Graph (Forbidden: Missing application roles. API required roles: SecurityIncident.ReadWrite.All.).');
    const e404 = errorForResponse({ status: 404, headers: {}, body: defender404 }, { ...op, api: 'the Defender XDR API' });
    expect([e404.code, e404.message]).to.deep.equal(['NOT_FOUND', 'the Defender XDR API found nothing for updating incident 7 (ResourceNotFound: Incident 7 was not found).']);
    expect(errorForResponse({ status: 401, headers: {}, body: '' }, op).code).to.equal('AUTHENTICATION');
    const e429 = errorForResponse({ status: 429, headers: { 'retry-after': '42' }, body: '' }, op);
    expect([e429.code, e429.message]).to.deep.equal(['THROTTLED', 'Microsoft Graph throttled updating incident 7 (429); it accepts calls again in 42 s.']);
    expect(errorForResponse({ status: 400, headers: {}, body: '{"error":{"code":"BadRequest","message":"bad filter"}}' }, op).message).to.equal('Microsoft Graph refused updating incident 7 (HTTP 400) (BadRequest: bad filter).');
    expect(errorForResponse({ status: 500, headers: {}, body: '' }, op).code).to.equal('API_ERROR');
    const proxy = errorForResponse({ status: 407, headers: {}, body: '' }, { ...op, proxy: 'http://u:****@p:3128' });
    expect([proxy.code, proxy.message]).to.deep.equal(['NETWORK', 'The proxy http://u:****@p:3128 asks for credentials (407 Proxy Authentication Required): check the user and password in the proxy URL.']);
  });

  it('maps transport failures', () => {
    expect(errorForTransport(new TransportError('timeout', 'slow', true)).code).to.equal('TIMEOUT');
    expect(errorForTransport(new TransportError('network', 'refused', false)).code).to.equal('NETWORK');
    expect(errorForTransport(new TransportError('tls', 'cert', false)).code).to.equal('NETWORK');
  });

  describe('Entra ID (AADSTS) errors name the setting to fix', () => {
    const config = loadConfig({ M365D_TENANT_ID: '11111111-2222-3333-4444-555555555555', M365D_CLIENT_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', M365D_CLIENT_SECRET: 'the-secret' });
    const aad = (code: number, error = 'invalid_client') => errorForTokenResponse(400, { error, error_description: `AADSTS${code}: Something.\r\nTrace ID: t\r\nCorrelation ID: c`, error_codes: [code] }, config, 'https://graph.microsoft.com/.default');
    const cases: Array<[number, RegExp]> = [
      [7000215, /^M365D_CLIENT_SECRET is not a valid secret of app aaaaaaaa-.* use the secret's Value/],
      [7000222, /^M365D_CLIENT_SECRET .* has expired/],
      [700016, /^M365D_CLIENT_ID aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee is not an application in tenant 11111111-/],
      [90002, /^M365D_TENANT_ID 11111111-2222-3333-4444-555555555555 is not a tenant that https:\/\/login\.microsoftonline\.com knows/],
      [700027, /^M365D_CLIENT_CERTIFICATE was not accepted/],
      [700024, /check this machine's clock/],
      [500011, /^The API https:\/\/graph\.microsoft\.com is not available to tenant .* check M365D_API_URL and M365D_CLOUD/],
      [53003, /Conditional Access/],
      [12345, /^The token request for app .* failed \(HTTP 400\)/],
    ];
    for (const [code, message] of cases) {
      it(`AADSTS${code}`, () => {
        const e = aad(code);
        expect(e.code).to.equal('AUTHENTICATION');
        expect(e.message).to.match(message);
        expect(e.message).to.include(`Entra ID said: AADSTS${code}: Something.`);
        expect(e.message).not.to.include('Trace ID');
        expect(e.message).not.to.include('the-secret');
      });
    }
  });
});
