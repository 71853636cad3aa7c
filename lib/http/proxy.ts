// Which requests go through the proxy: all of them with M365D_PROXY_URL; with HTTPS_PROXY, those whose host NO_PROXY
// does not name (curl's rules: "*", exact hosts, domain suffixes with or without a leading dot, IPs, optional :port).

import type { Config } from '../runtime/config';

export function bypassesProxy(noProxy: readonly string[], url: URL): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return noProxy.some((entry) => {
    if (entry === '*') return true;
    let name = entry;
    let entryPort: string | undefined;
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m && !entry.includes(']') && (m[1]!.match(/:/g) ?? []).length === 0) {
      name = m[1]!;
      entryPort = m[2];
    }
    name = name.replace(/^\*?\./, '.').replace(/^\[|\]$/g, '');
    if (entryPort && entryPort !== port) return false;
    if (name.startsWith('.')) return host.endsWith(name) || host === name.slice(1);
    return host === name || host.endsWith(`.${name}`);
  });
}

/** The proxy URL to use for `url`, or undefined to connect directly. */
export function proxyFor(config: Pick<Config, 'proxy' | 'noProxy'>, url: URL): string | undefined {
  if (!config.proxy) return undefined;
  if (config.proxy.from !== 'M365D_PROXY_URL' && bypassesProxy(config.noProxy, url)) return undefined;
  return config.proxy.url;
}
