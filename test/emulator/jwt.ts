// Compact JWS (RFC 7515) signing and verification for RS256 and PS256 on node:crypto.
import * as crypto from 'node:crypto';

export type JsonObject = Record<string, unknown>;

export function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  signingInput: string;
  signature: Buffer;
}

/** Splits and decodes a compact JWT; undefined when it is not one. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
  } catch {
    return undefined;
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type JwsAlg = 'RS256' | 'PS256';

export function signJwt(header: JsonObject, payload: JsonObject, key: crypto.KeyObject): string {
  const alg = header.alg as JwsAlg;
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = alg === 'PS256'
    ? crypto.sign('sha256', Buffer.from(input), { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    : crypto.sign('sha256', Buffer.from(input), key);
  return `${input}.${b64url(sig)}`;
}

/** Verifies an RS256 or PS256 signature; any other alg is false. */
export function verifyJwtSignature(jwt: DecodedJwt, key: crypto.KeyObject): boolean {
  const data = Buffer.from(jwt.signingInput);
  try {
    if (jwt.header.alg === 'RS256') return crypto.verify('sha256', data, key, jwt.signature);
    if (jwt.header.alg === 'PS256') {
      return crypto.verify('sha256', data,
        { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO },
        jwt.signature);
    }
  } catch {
    return false;
  }
  return false;
}
