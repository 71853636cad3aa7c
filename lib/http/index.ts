// HTTP for the rest of lib/: the transport with its retry policy, and Microsoft's errors as ActionErrors.

import type { Config } from '../runtime/config';
import type { Logger } from '../runtime/log';
import { DEFAULT_RETRY, sendWithRetries, type RetryOptions } from './retry';
import { createTransport, type HttpRequest, type HttpResponse, type Transport } from './transport';

export { errorForResponse, errorForTransport, parseMicrosoftError, type Operation } from './errors';
export { TransportError, type HttpRequest, type HttpResponse, type HttpMethod, type Transport } from './transport';

export interface HttpClient {
  /** sends with retries; resolves with the final response (any status) or rejects with a TransportError */
  send(request: HttpRequest): Promise<HttpResponse>;
}

export interface HttpClientOptions {
  log: Logger;
  deadline: number;
  signal?: AbortSignal;
  retry?: Partial<Omit<RetryOptions, 'log' | 'deadline' | 'signal'>>;
  /** for tests: a transport other than the real one */
  transport?: Transport;
}

export function createHttpClient(config: Config, options: HttpClientOptions): HttpClient {
  const transport = options.transport ?? createTransport(config);
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry, log: options.log, deadline: options.deadline, ...(options.signal ? { signal: options.signal } : {}) };
  return {
    send: (request) => {
      options.log.debug(`${request.method} ${new URL(request.url).pathname}`, { label: request.label });
      return sendWithRetries(transport, request, retry);
    },
  };
}
