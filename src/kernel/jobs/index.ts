export type { DeadJob, JobContext, JobCounts, JobHandler, JobOptions, JobQueue, JobResult, RetryPolicy } from './types.js';
export { backoffDelay } from './policy.js';
export { createMemoryQueue, type MemoryQueueOptions } from './memory.queue.js';
export { createBullQueue, type BullQueueOptions } from './bullmq.queue.js';
export { PermanentJobError } from './errors.js';
