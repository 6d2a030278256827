import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
}

/** Set for the life of each request, so log lines written deep in a service carry its id. */
export const requestContext = new AsyncLocalStorage<RequestContext>();
