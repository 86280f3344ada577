export { createServer, createMetricsServer, formValidatorCompiler, type App, type ServerOptions } from './server.js';
export { StrictObject, PageOf, pageFields, ErrorEnvelopeSchema, errorResponses, defaultErrorResponses, PUBLIC, BEARER } from './schemas.js';
export type { DependencyCheck, ServiceInfo } from './health.routes.js';
export { privateScope } from './private-scope.js';
