// Entra ID (AADSTS) errors mapped to the setting that is wrong. All are AUTHENTICATION: they are found after the
// token request was sent. Codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes

import { ActionError } from '../runtime/errors';
import type { Config } from '../runtime/config';

export interface TokenErrorBody {
  error?: string;
  error_description?: string;
  error_codes?: number[];
}

export function aadstsCode(body: TokenErrorBody): number | undefined {
  if (Array.isArray(body.error_codes) && typeof body.error_codes[0] === 'number') return body.error_codes[0];
  const m = /AADSTS(\d+)/.exec(body.error_description ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The first line of Entra's description, without its trace and correlation ids. */
function firstLine(body: TokenErrorBody): string {
  return (body.error_description ?? body.error ?? 'no description').split(/\r?\n/)[0]!.trim();
}

export function errorForTokenResponse(status: number, body: TokenErrorBody, config: Config, scope: string): ActionError {
  const code = aadstsCode(body);
  const said = `Entra ID said: ${firstLine(body)}`;
  const tenant = config.tenantId;
  const app = config.clientId;
  const c = config.credential;
  const credential = c.kind === 'secret' ? 'M365D_CLIENT_SECRET' : c.kind === 'workload_identity' ? c.tokenFileVariable : 'M365D_CLIENT_CERTIFICATE';
  let what: string;
  if (c.kind === 'workload_identity') {
    const file = `the federated token in ${c.tokenFile} (${c.tokenFileVariable})`;
    switch (code) {
      // no federated credential of the app matches the token (70021; 700211 issuer, 700212 audience, 700213 subject,
      // 7002137/7002138 subject): learn.microsoft.com/entra/workload-id/workload-identity-federation
      case 70021:
      case 700211:
      case 700212:
      case 700213:
      case 7002137:
      case 7002138:
        return new ActionError('AUTHENTICATION', `No federated credential of app ${app} matches ${file}: the federated credential's issuer, subject or audience does not match (its issuer must be the cluster's OIDC issuer URL, its subject system:serviceaccount:<namespace>:<service account>, its audience api://AzureADTokenExchange, and the projected token's audience too). ${said}`);
      case 700024:
        return new ActionError('AUTHENTICATION', `Entra ID found ${file} outside its valid time: check that the kubelet rotates the projected token and this machine's clock. ${said}`);
      case 700016:
        return new ActionError('AUTHENTICATION', `The client id ${app} (M365D_CLIENT_ID, or AZURE_CLIENT_ID when that is blank) is not an application in tenant ${tenant}: give the client id of the app registration (or user-assigned identity) that holds the federated credential. ${said}`);
      default:
        break;
    }
  }
  switch (code) {
    case 7000215:
      what = `M365D_CLIENT_SECRET is not a valid secret of app ${app}: use the secret's Value (not its Secret ID) and check that it belongs to this app.`;
      break;
    case 7000222:
      what = `M365D_CLIENT_SECRET of app ${app} has expired: create a new client secret in the app registration.`;
      break;
    case 700016:
      what = `M365D_CLIENT_ID ${app} is not an application in tenant ${tenant}: check the client id, the tenant id, and that the app was consented in this tenant.`;
      break;
    case 90002:
    case 900023:
    case 90013:
      what = `M365D_TENANT_ID ${tenant} is not a tenant that ${config.loginUrl} knows: check the tenant id and M365D_CLOUD / M365D_LOGIN_URL.`;
      break;
    case 700027:
    case 700021:
    case 50027:
      what = `M365D_CLIENT_CERTIFICATE was not accepted for app ${app}: upload this certificate (its public part) to the app registration's Certificates & secrets.`;
      break;
    case 700024:
      what = 'The client assertion is outside its valid time: check this machine\'s clock.';
      break;
    case 500011:
    case 1002012:
    case 70011:
      what = `The API ${scope.replace(/\/\.default$/, '')} is not available to tenant ${tenant}: check M365D_API_URL and M365D_CLOUD (a national-cloud tenant needs its own cloud's hosts).`;
      break;
    case 7000218:
      what = `No credential reached Entra ID: set ${credential}.`;
      break;
    case 53003:
      what = `A Conditional Access policy of tenant ${tenant} blocks app ${app}.`;
      break;
    default:
      what = `The token request for app ${app} in tenant ${tenant} failed (HTTP ${status}).`;
  }
  return new ActionError('AUTHENTICATION', `${what} ${said}`);
}
