import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { ServiceInfo } from './health.routes.js';
import { PUBLIC } from './schemas.js';

const ApiIndex = Type.Object({
  name: Type.String(),
  version: Type.String(),
  modules: Type.Array(Type.String(), { description: 'The modules this process runs' }),
  links: Type.Object({
    docs: Type.Optional(Type.String({ description: 'OpenAPI UI (absent when docs are off)' })),
    openapi: Type.Optional(Type.String({ description: 'OpenAPI document (absent when docs are off)' })),
    health: Type.String(),
    ready: Type.String(),
    info: Type.String(),
    metrics: Type.Optional(Type.String({ description: 'Prometheus metrics (absent when not served on this port)' })),
  }),
}, { title: 'ApiIndex' });
type ApiIndex = Static<typeof ApiIndex>;

/** `GET /api/v1`: the address the CLI prints, so it answers with where to go next. */
export function apiIndexRoutes(deps: { info: ServiceInfo; docs: boolean; metrics: boolean }) {
  const index: ApiIndex = {
    name: deps.info.name,
    version: deps.info.version,
    modules: [...deps.info.modules],
    links: {
      ...(deps.docs ? { docs: '/docs', openapi: '/docs/json' } : {}),
      health: '/health',
      ready: '/health/ready',
      info: '/info',
      ...(deps.metrics ? { metrics: '/metrics' } : {}),
    },
  };
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/api/v1', {
      schema: { tags: ['platform'], summary: 'API index: what runs here and where to go next', operationId: 'getApiIndex', security: PUBLIC, response: { 200: ApiIndex } },
    }, async () => index);
  };
}
