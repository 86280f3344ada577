// The kernel's public face: modules and the composition root import from here only.
export * from './config/index.js';
export { createLogger, type Logger } from './logger.js';
export { AppError, envelope, ERROR_STATUS, type ErrorCode, type ErrorDetail, type ErrorEnvelope } from './errors.js';
export { currentContext, runWithContext, type RequestContext } from './context.js';
export { newId } from './ids.js';
export { EmailAddress, isEmailAddress } from './email.js';
export * from './db/index.js';
export * from './http/index.js';
export * from './messaging/index.js';
export type { JobQueue, JobHandler, JobOptions, JobContext, JobResult, DeadJob, RetryPolicy } from './jobs/index.js';
export { PermanentJobError } from './jobs/index.js';
export type { Cache, CacheSetOptions } from './cache/index.js';
export type { RateLimiter, RateLimitRule, RateLimitDecision } from './ratelimit/index.js';
export { rateLimitHeaders } from './ratelimit/index.js';
export type { LockManager, LockHandle } from './lock/index.js';
export * from './auth/index.js';
export { createAdapters, redactUrl, type Adapters } from './adapters.js';
export type { ModuleContext, ModuleDefinition, Consumer, Stoppable } from './module.js';
