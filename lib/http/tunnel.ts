// An agent that tunnels HTTPS through an HTTP(S) proxy with CONNECT (https-proxy-agent), with the configured TLS
// trust applied to the destination through the tunnel. https-proxy-agent applies its constructor's TLS options to
// the proxy connection only; the destination's TLS options come from each request's options, so they are added there.

import type * as https from 'node:https';
import type * as tls from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';

type TlsTrust = { secureContext: tls.SecureContext; rejectUnauthorized: boolean };

export function createTunnelAgent(proxyUrl: string, trust: TlsTrust): https.Agent {
  class TrustingTunnel extends HttpsProxyAgent<string> {
    override connect(req: Parameters<HttpsProxyAgent<string>['connect']>[0], opts: Parameters<HttpsProxyAgent<string>['connect']>[1]) {
      return super.connect(req, { ...opts, ...trust });
    }
  }
  // the same trust for an https:// proxy itself
  return new TrustingTunnel(proxyUrl, { keepAlive: true, ...trust }) as unknown as https.Agent;
}
