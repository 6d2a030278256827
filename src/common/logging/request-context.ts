import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
  /** The client's address (see TRUST_PROXY) and User-Agent, for the security event log. */
  ipAddress: string;
  userAgent: string | null;
}

/** Set for the life of each request, so log lines and events written deep in a service carry its id. */
export const requestContext = new AsyncLocalStorage<RequestContext>();
