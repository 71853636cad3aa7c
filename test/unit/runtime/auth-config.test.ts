// M365D_AUTH: the sign-in method, inferred from what is set, and every contradiction as a CONFIGURATION error that
// names the variables (lib/runtime/auth-config.ts through loadConfig).
import { expect } from 'chai';
import { syncActionErrorOf } from '../../support/errors';
import { describeConfig, loadConfig, secretsIn, type Env } from '../../../lib/runtime/config';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const OBJECT = 'bbbbbbbb-cccc-dddd-eeee-ffffffffffff';
const RESOURCE = '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/soar/providers/Microsoft.ManagedIdentity/userAssignedIdentities/engine';
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n';
const APP: Env = { M365D_TENANT_ID: TENANT, M365D_CLIENT_ID: CLIENT };
const configError = (env: Env): string => syncActionErrorOf('CONFIGURATION', () => loadConfig(env));

describe('sign-in method (M365D_AUTH)', () => {
  describe('inference from what is set', () => {
    it('a secret, a certificate, a federated token file, a managed identity id each select their method', () => {
      expect(loadConfig({ ...APP, M365D_CLIENT_SECRET: 's' }).credential.kind).to.equal('secret');
      expect(loadConfig({ ...APP, M365D_CLIENT_CERTIFICATE: PEM }).credential.kind).to.equal('certificate');
      expect(loadConfig({ ...APP, M365D_FEDERATED_TOKEN_FILE: '/var/run/t' }).credential).to.deep.equal({ kind: 'workload_identity', tokenFile: '/var/run/t', tokenFileVariable: 'M365D_FEDERATED_TOKEN_FILE' });
      expect(loadConfig({ M365D_MANAGED_IDENTITY_RESOURCE_ID: RESOURCE }).credential).to.deep.equal({
        kind: 'managed_identity', identity: { kind: 'resource_id', value: RESOURCE, variable: 'M365D_MANAGED_IDENTITY_RESOURCE_ID' },
      });
      expect(loadConfig({ M365D_MANAGED_IDENTITY_OBJECT_ID: OBJECT }).credential).to.deep.equal({
        kind: 'managed_identity', identity: { kind: 'object_id', value: OBJECT, variable: 'M365D_MANAGED_IDENTITY_OBJECT_ID' },
      });
    });
    it('the Azure Workload Identity webhook\'s variables alone select workload identity, standing in for blank M365D_* fields', () => {
      const c = loadConfig({
        M365D_CLIENT_ID: '', AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token', AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT,
        AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/',
      });
      expect(c.credential).to.deep.equal({ kind: 'workload_identity', tokenFile: '/var/run/secrets/azure/tokens/azure-identity-token', tokenFileVariable: 'AZURE_FEDERATED_TOKEN_FILE' });
      expect([c.tenantId, c.clientId, c.loginUrl]).to.deep.equal([TENANT, CLIENT, 'https://login.microsoftonline.us']);
      // the M365D_* fields win over the webhook's
      const own = loadConfig({ ...APP, M365D_LOGIN_URL: 'login.microsoftonline.com', M365D_FEDERATED_TOKEN_FILE: '/t/own', AZURE_FEDERATED_TOKEN_FILE: '/t/az', AZURE_CLIENT_ID: OBJECT, AZURE_TENANT_ID: 'contoso.onmicrosoft.com', AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us' });
      expect([own.tenantId, own.clientId, own.loginUrl, own.credential.kind === 'workload_identity' && own.credential.tokenFile]).to.deep.equal([TENANT, CLIENT, 'https://login.microsoftonline.com', '/t/own']);
    });
    it('the webhook\'s variables never contradict a secret: a pod with workload identity may still use a secret', () => {
      const c = loadConfig({ ...APP, M365D_CLIENT_SECRET: 's', AZURE_FEDERATED_TOKEN_FILE: '/t', AZURE_CLIENT_ID: OBJECT });
      expect([c.credential.kind, c.clientId]).to.deep.equal(['secret', CLIENT]);
    });
    it('nothing set is an error saying the four ways', () => {
      expect(configError(APP)).to.equal('No credential is configured: set M365D_CLIENT_SECRET or M365D_CLIENT_CERTIFICATE (an app registration), M365D_FEDERATED_TOKEN_FILE (workload identity federation), or M365D_AUTH=managed_identity (an Azure managed identity).');
    });
  });

  describe('contradictions', () => {
    it('credentials of two methods, naming both variables (a secret with a certificate is no longer "the certificate wins")', () => {
      expect(configError({ ...APP, M365D_CLIENT_SECRET: 's', M365D_CLIENT_CERTIFICATE: PEM })).to.match(/^M365D_CLIENT_SECRET and M365D_CLIENT_CERTIFICATE are both set, credentials of two sign-in methods \(secret and certificate\)/);
      expect(configError({ ...APP, M365D_CLIENT_SECRET: 's', M365D_FEDERATED_TOKEN_FILE: '/t' })).to.match(/^M365D_CLIENT_SECRET and M365D_FEDERATED_TOKEN_FILE are both set/);
      expect(configError({ ...APP, M365D_FEDERATED_TOKEN_FILE: '/t', M365D_MANAGED_IDENTITY_OBJECT_ID: OBJECT })).to.match(/^M365D_MANAGED_IDENTITY_OBJECT_ID and M365D_FEDERATED_TOKEN_FILE are both set, credentials of two sign-in methods \(managed_identity and workload_identity\)/);
    });
    it('a credential the chosen method does not use, naming it and its method', () => {
      expect(configError({ ...APP, M365D_AUTH: 'secret', M365D_CLIENT_SECRET: 's', M365D_CLIENT_CERTIFICATE: PEM })).to.equal(
        'M365D_AUTH is secret, which does not use M365D_CLIENT_CERTIFICATE (a certificate credential): remove M365D_CLIENT_CERTIFICATE, or set M365D_AUTH to certificate.',
      );
      expect(configError({ M365D_AUTH: 'managed_identity', M365D_CLIENT_SECRET: 's' })).to.match(/^M365D_AUTH is managed_identity, which does not use M365D_CLIENT_SECRET/);
      expect(configError({ ...APP, M365D_AUTH: 'workload_identity', M365D_FEDERATED_TOKEN_FILE: '/t', M365D_MANAGED_IDENTITY_RESOURCE_ID: RESOURCE })).to.match(/^M365D_AUTH is workload_identity, which does not use M365D_MANAGED_IDENTITY_RESOURCE_ID/);
      expect(configError({ ...APP, M365D_AUTH: 'certificate', M365D_FEDERATED_TOKEN_FILE: '/t', M365D_CLIENT_CERTIFICATE: PEM })).to.match(/^M365D_AUTH is certificate, which does not use M365D_FEDERATED_TOKEN_FILE/);
    });
    it('a method without its credential', () => {
      expect(configError({ ...APP, M365D_AUTH: 'secret' })).to.match(/^M365D_AUTH is secret, but M365D_CLIENT_SECRET is not set/);
      expect(configError({ ...APP, M365D_AUTH: 'certificate' })).to.match(/^M365D_AUTH is certificate, but M365D_CLIENT_CERTIFICATE is not set/);
      expect(configError({ ...APP, M365D_AUTH: 'workload_identity' })).to.match(/^M365D_AUTH is workload_identity, but neither M365D_FEDERATED_TOKEN_FILE nor AZURE_FEDERATED_TOKEN_FILE is set/);
    });
    it('two ids of a user-assigned managed identity', () => {
      expect(configError({ M365D_AUTH: 'managed_identity', M365D_CLIENT_ID: CLIENT, M365D_MANAGED_IDENTITY_OBJECT_ID: OBJECT })).to.match(/^M365D_CLIENT_ID and M365D_MANAGED_IDENTITY_OBJECT_ID are both set, but a user-assigned managed identity is named by one id only/);
      expect(configError({ M365D_MANAGED_IDENTITY_RESOURCE_ID: RESOURCE, M365D_MANAGED_IDENTITY_OBJECT_ID: OBJECT, M365D_CLIENT_ID: CLIENT })).to.match(/^M365D_CLIENT_ID and M365D_MANAGED_IDENTITY_RESOURCE_ID and M365D_MANAGED_IDENTITY_OBJECT_ID are all set/);
    });
    it('an unknown method, listing the valid ones', () => {
      expect(configError({ ...APP, M365D_AUTH: 'msi' })).to.equal('M365D_AUTH "msi" is not a sign-in method; valid: secret, certificate, managed_identity, workload_identity (or leave it blank to infer it from the credential that is set).');
      expect(loadConfig({ M365D_AUTH: 'Managed-Identity' }).credential.kind).to.equal('managed_identity');
    });
  });

  describe('managed identity', () => {
    it('needs no tenant, client id or secret: the system-assigned identity by default', () => {
      const c = loadConfig({ M365D_AUTH: 'managed_identity' });
      expect(c.credential).to.deep.equal({ kind: 'managed_identity', identity: { kind: 'system' } });
      expect([c.tenantId, c.clientId]).to.deep.equal(['', '']);
      expect(describeConfig(c)).to.include({ credential: 'managed_identity', managed_identity: 'system-assigned' });
    });
    it('a user-assigned identity by its client id in M365D_CLIENT_ID; a tenant given is checked', () => {
      const c = loadConfig({ M365D_AUTH: 'managed_identity', M365D_CLIENT_ID: CLIENT, M365D_TENANT_ID: TENANT });
      expect(c.credential).to.deep.equal({ kind: 'managed_identity', identity: { kind: 'client_id', value: CLIENT, variable: 'M365D_CLIENT_ID' } });
      expect(c.tenantId).to.equal(TENANT);
      expect(configError({ M365D_AUTH: 'managed_identity', M365D_TENANT_ID: 'not a tenant' })).to.match(/^M365D_TENANT_ID "not a tenant" is neither a GUID nor a domain/);
    });
    it('refuses ids of the wrong shape, naming the variable', () => {
      expect(configError({ M365D_AUTH: 'managed_identity', M365D_CLIENT_ID: 'engine' })).to.match(/^M365D_CLIENT_ID "engine" is not a GUID; for a user-assigned managed identity give its Client ID/);
      expect(configError({ M365D_MANAGED_IDENTITY_RESOURCE_ID: 'engine' })).to.match(/^M365D_MANAGED_IDENTITY_RESOURCE_ID "engine" is not the resource id of a user-assigned identity; valid: \/subscriptions\//);
      expect(configError({ M365D_MANAGED_IDENTITY_OBJECT_ID: 'x' })).to.match(/^M365D_MANAGED_IDENTITY_OBJECT_ID "x" is not a GUID/);
    });
  });

  describe('workload identity', () => {
    it('needs the tenant and the app, naming the AZURE_* stand-ins', () => {
      expect(configError({ M365D_FEDERATED_TOKEN_FILE: '/t', M365D_CLIENT_ID: CLIENT })).to.match(/^M365D_TENANT_ID \(or AZURE_TENANT_ID, as the Azure Workload Identity webhook sets it\) is required/);
      expect(configError({ M365D_FEDERATED_TOKEN_FILE: '/t', M365D_TENANT_ID: TENANT })).to.match(/^M365D_CLIENT_ID \(or AZURE_CLIENT_ID, as the Azure Workload Identity webhook sets it\) is required/);
      expect(configError({ M365D_FEDERATED_TOKEN_FILE: '/t', M365D_TENANT_ID: TENANT, AZURE_CLIENT_ID: 'app' })).to.match(/^AZURE_CLIENT_ID "app" is not a GUID/);
      expect(configError({ M365D_FEDERATED_TOKEN_FILE: '/t', ...APP, AZURE_AUTHORITY_HOST: 'http://login.example' })).to.match(/^AZURE_AUTHORITY_HOST "http:\/\/login.example" must use https:\/\//);
    });
    it('the token file must be an absolute path', () => {
      expect(configError({ ...APP, M365D_FEDERATED_TOKEN_FILE: 'token' })).to.match(/^M365D_FEDERATED_TOKEN_FILE "token" is not an absolute file path/);
    });
    it('the app registration methods do not take the AZURE_* stand-ins', () => {
      expect(configError({ M365D_CLIENT_SECRET: 's', AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT })).to.match(/^M365D_TENANT_ID is required/);
    });
  });

  it('registers the App Service identity header and Machine Learning\'s secret as secrets', () => {
    expect(secretsIn({ IDENTITY_HEADER: 'hdr-value', MSI_SECRET: 'msi-value' })).to.include.members(['hdr-value', 'msi-value']);
  });
});
