import { AsyncLocalStorage } from 'node:async_hooks';

/** What travels implicitly with a request or a job: logs and emitted events pick it up. */
export interface RequestContext {
  requestId: string;
  userId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Enters the context for the rest of the current async execution (used by Fastify's onRequest hook). */
export function enterContext(ctx: RequestContext): void {
  storage.enterWith(ctx);
}
