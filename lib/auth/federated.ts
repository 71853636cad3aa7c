// Workload identity federation: the projected service-account token (a JWT the cluster's OIDC issuer signs) that is
// sent to Entra ID as the client assertion. The kubelet rotates the file (Azure Workload Identity: the token is
// projected with an expiry of one day by default, rotated before it ends; docs "service account labels and
// annotations"), so it is read at each token request, never once. Every problem is AUTHENTICATION naming the file and
// what is wrong; no message carries any part of the token, and the token is registered with the redactor before it is
// looked at.

import * as fs from 'node:fs';
import { ActionError } from '../runtime/errors';
import type { Credential } from '../runtime/config';

type Federated = Extract<Credential, { kind: 'workload_identity' }>;

export interface AssertionClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
}

/** Entra's expected audience of a federated token (learn.microsoft.com/entra/workload-id/workload-identity-federation). */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

const fail = (credential: Federated, what: string): ActionError =>
  new ActionError('AUTHENTICATION', `The federated token file ${credential.tokenFile} (${credential.tokenFileVariable}) ${what}`);

function decodePart(part: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of a JWT's payload, or undefined when the text is not a JWT (header.payload.signature, JSON parts). */
export function jwtClaims(token: string): AssertionClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[2]) return undefined;
  const header = decodePart(parts[0]!);
  const payload = decodePart(parts[1]!);
  if (!header || !payload) return undefined;
  const claims: AssertionClaims = {};
  if (typeof payload.iss === 'string') claims.iss = payload.iss;
  if (typeof payload.sub === 'string') claims.sub = payload.sub;
  if (typeof payload.aud === 'string' || (Array.isArray(payload.aud) && payload.aud.every((a) => typeof a === 'string'))) claims.aud = payload.aud as string | string[];
  if (typeof payload.exp === 'number') claims.exp = payload.exp;
  return claims;
}

/**
 * Reads the federated token now: it exists, is not empty, is a JWT, and has not expired by this machine's clock.
 * Returns the token (a secret: `addSecret` has registered it) and its non-secret claims, for messages.
 */
export function readFederatedToken(credential: Federated, addSecret: (s: string) => void, now: number = Date.now()): { token: string; claims: AssertionClaims } {
  let text: string;
  try {
    text = fs.readFileSync(credential.tokenFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read by this user' : code === 'EISDIR' ? 'is a folder, not a file' : 'cannot be read';
    throw fail(credential, `${why} (${code}): check that the pod's service account uses workload identity (label azure.workload.identity/use: "true") so the token is projected there.`);
  }
  const token = text.trim();
  if (token !== '') addSecret(token);
  if (token === '') throw fail(credential, 'is empty: the projected service-account token has not been written; check the pod\'s projected volume.');
  const claims = jwtClaims(token);
  if (!claims) throw fail(credential, 'does not hold a JWT (three base64url parts: header.payload.signature): give the projected service-account token file.');
  if (claims.exp === undefined) throw fail(credential, 'holds a token without an expiry (exp): give the projected service-account token file.');
  if (claims.exp * 1000 <= now) {
    throw fail(credential, `holds a token that expired at ${new Date(claims.exp * 1000).toISOString()}: the kubelet did not rotate it; check the projected volume's expirationSeconds and the pod's service account.`);
  }
  return { token, claims };
}
