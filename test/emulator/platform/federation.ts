// Workload identity federation as Entra ID models it: an external OIDC issuer (here the emulator plays a Kubernetes
// cluster's service-account issuer and signs the tokens itself) and federated identity credentials registered on an
// app: {issuer, subject, audiences}. A client assertion that is not self-signed by the app (its iss is not the client
// id) is checked against them: issuer, signature (the issuer's key), audience, subject, and expiry.
//
// Microsoft sources:
// - Federated credential fields, audience `api://AzureADTokenExchange`, Kubernetes subject
//   `system:serviceaccount:<namespace>:<service account>`: learn.microsoft.com/entra/workload-id/workload-identity-federation
//   and Azure/azure-workload-identity docs (reference §4.2).
// - AADSTS wording, from real answers quoted in GitHub issues:
//     70021  invalid_request 400 "No matching federated identity record found for presented assertion. Assertion Issuer: '...'.
//            Assertion Subject: '...'. Assertion Audience: '...'. https://docs.microsoft.com/..." (Azure/azure-workload-identity#616, 2022)
//     700213 invalid_client 401 "No matching federated identity record found for presented assertion subject '...'. Check your
//            federated identity credential Subject, Audience and Issuer against the presented assertion.
//            https://learn.microsoft.com/entra/workload-id/workload-identity-federation" (Azure/azure-workload-identity#1200)
//     700211 (issuer) and 700212 (audience) are the same message for the issuer / audience (codes seen in
//            Azure/azure-workload-identity#1200's title and Azure/login#619); their exact wording is modelled on 700213.
//   Today's Entra answers with the split codes 700211/700212/700213; the emulator follows them (the older 70021 is
//   what lib/auth must also understand).
//     700024 invalid_client 401 "Client assertion is not within its valid time range. ..." (identity.ts), for an expired token.
//     50013  invalid_client 401 "Assertion failed signature validation. ..." for a bad signature: modelled, wording not confirmed.
import * as crypto from 'node:crypto';
import { b64url, signJwt, verifyJwtSignature, type DecodedJwt, type JsonObject } from '../jwt';
import type { HttpAnswer } from '../errors';

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface FederatedTokenRequest {
  /** default: the registered credential's subject */
  subject?: string;
  /** default: api://AzureADTokenExchange */
  audience?: string;
  /** seconds from now (default 3600); 0 or less makes a token that has already expired */
  expiresIn?: number;
  /** default: the emulator's issuer */
  issuer?: string;
  /** sign with a key the issuer does not publish */
  badSignature?: boolean;
}

type Err = (status: number, error: string, code: number, msg: string) => HttpAnswer;

const FIC_DOC = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';

/** The cluster's OIDC issuer: its key signs service-account tokens ("projected service account tokens"). */
export class OidcIssuer {
  private readonly key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly kid = b64url(crypto.randomBytes(12));

  /** `issuer`: the issuer URL (a cluster's is like https://<region>.oic.prod-aks.azure.com/<tenant>/<guid>/) */
  constructor(readonly issuer: string) {}

  /** A service-account token as the kubelet projects it (RS256, iss/sub/aud/exp/iat/nbf, kubernetes.io claims). */
  issue(request: FederatedTokenRequest & { subject: string }): string {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (request.expiresIn ?? 3600);
    const [ns, sa] = request.subject.split(':').slice(2);
    const payload: JsonObject = {
      aud: [request.audience ?? TOKEN_EXCHANGE_AUDIENCE],
      exp, iat: Math.min(now, exp - 1), nbf: Math.min(now, exp - 1),
      iss: request.issuer ?? this.issuer,
      sub: request.subject,
      'kubernetes.io': { namespace: ns ?? 'default', serviceaccount: { name: sa ?? 'default', uid: crypto.randomUUID() }, pod: { name: 'soar-engine-0', uid: crypto.randomUUID() } },
    };
    return signJwt({ alg: 'RS256', kid: this.kid }, payload, request.badSignature ? this.other.privateKey : this.key.privateKey);
  }

  verify(jwt: DecodedJwt): boolean {
    return verifyJwtSignature(jwt, this.key.publicKey);
  }
}

/**
 * Checks a federated client assertion against the app's federated credentials, in Entra's order: issuer, then
 * signature, then audience and subject, then lifetime. Undefined when it is accepted.
 */
export function checkFederatedAssertion(credentials: FederatedCredential[], issuerOf: (iss: string) => OidcIssuer | undefined, jwt: DecodedJwt, err: Err): HttpAnswer | undefined {
  const p = jwt.payload;
  const iss = typeof p.iss === 'string' ? p.iss : '';
  const sub = typeof p.sub === 'string' ? p.sub : '';
  const auds = (Array.isArray(p.aud) ? p.aud : [p.aud]).filter((a): a is string => typeof a === 'string');
  const byIssuer = credentials.filter((c) => c.issuer === iss);
  if (byIssuer.length === 0) {
    return err(401, 'invalid_client', 700211, `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FIC_DOC}`);
  }
  const issuer = issuerOf(iss);
  if (!issuer || !issuer.verify(jwt)) {
    return err(401, 'invalid_client', 50013, `Assertion failed signature validation. [Reason - The key was not found., Issuer: '${iss}']`);
  }
  // matching is case-sensitive (learn.microsoft.com/entra/identity-platform/reference-breaking-changes, 2025)
  const byAudience = byIssuer.filter((c) => c.audiences.some((a) => auds.includes(a)));
  if (byAudience.length === 0) {
    return err(401, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience '${auds.join(', ')}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FIC_DOC}`);
  }
  if (!byAudience.some((c) => c.subject === sub)) {
    return err(401, 'invalid_client', 700213, `No matching federated identity record found for presented assertion subject '${sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FIC_DOC}`);
  }
  const nowS = Math.floor(Date.now() / 1000);
  const exp = typeof p.exp === 'number' ? p.exp : undefined;
  const nbf = typeof p.nbf === 'number' ? p.nbf : 0;
  if (exp === undefined || nowS >= exp || nowS + 300 < nbf) {
    const iso = (s: number): string => new Date(s * 1000).toISOString().replace('Z', '0000Z');
    return err(401, 'invalid_client', 700024,
      `Client assertion is not within its valid time range. Current time: ${new Date().toISOString().replace('Z', '0000Z')}, assertion valid from ${iso(nbf)}, expiry time of assertion ${exp === undefined ? 'none' : iso(exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
  }
  return undefined;
}
