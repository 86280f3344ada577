import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Registry } from 'prom-client';
import { PUBLIC } from './schemas.js';

export interface DependencyCheck {
  name: string;
  check(timeoutMs: number): Promise<void>;
}

export interface ServiceInfo {
  name: string;
  version: string;
  modules: readonly string[];
  roles: readonly string[];
  mode: 'all-in-one' | 'split';
}

const CheckResult = Type.Object({ status: Type.Union([Type.Literal('up'), Type.Literal('down')]), error: Type.Optional(Type.String()) });

/**
 * Platform endpoints every process serves (SPEC §1): liveness, readiness, info, and metrics when a
 * registry is given (not when /metrics is off or on a listener of its own).
 */
export function healthRoutes(deps: { checks: DependencyCheck[]; info: ServiceInfo; registry: Registry | undefined; timeoutMs: number }) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/health', {
      schema: { tags: ['platform'], summary: 'Liveness', operationId: 'getLiveness', security: PUBLIC, response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    }, async () => ({ status: 'ok' as const }));

    app.get('/health/ready', {
      schema: {
        tags: ['platform'],
        summary: 'Readiness: every dependency answers',
        operationId: 'getReadiness',
        security: PUBLIC,
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Type.Record(Type.String(), CheckResult) }),
          503: Type.Object({ status: Type.Literal('unavailable'), down: Type.Array(Type.String()), checks: Type.Record(Type.String(), CheckResult) }),
        },
      },
    }, async (request, reply) => {
      const results = await Promise.all(
        deps.checks.map(async (c) => {
          try {
            await c.check(deps.timeoutMs);
            return [c.name, { status: 'up' as const }] as const;
          } catch (e) {
            // The endpoint is public: it names what is down, never hosts, users or driver messages.
            request.log.warn({ dependency: c.name, err: (e as Error).message }, 'readiness check failed');
            return [c.name, { status: 'down' as const, error: /within \d+ ms|timeout/i.test((e as Error).message) ? 'timeout' : 'unreachable' }] as const;
          }
        }),
      );
      const checks = Object.fromEntries(results);
      const down = results.filter(([, r]) => r.status === 'down').map(([n]) => n);
      if (down.length) return reply.status(503).send({ status: 'unavailable' as const, down, checks });
      return { status: 'ready' as const, checks };
    });

    app.get('/info', {
      schema: {
        tags: ['platform'],
        summary: 'What this process runs',
        operationId: 'getInfo',
        security: PUBLIC,
        response: {
          200: Type.Object({
            name: Type.String(),
            version: Type.String(),
            modules: Type.Array(Type.String()),
            roles: Type.Array(Type.String()),
            mode: Type.String(),
          }),
        },
      },
    }, async () => deps.info);

    const registry = deps.registry;
    if (!registry) return;
    app.get('/metrics', {
      schema: {
        tags: ['platform'],
        summary: 'Prometheus metrics',
        operationId: 'getMetrics',
        security: PUBLIC,
        response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } } },
      },
    }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  };
}
