export * from './types.js';
export { createOutbox, createOutboxSignal, outboxInsert, type Outbox, type OutboxSignal, type NewEvent } from './outbox.js';
export { createOutboxRelay, deleteExpiredMessages, type OutboxRelay, type RelayOptions } from './relay.js';
export { applyOnce } from './inbox.js';
export { subscribeConsumers } from './consumers.js';
export { createMemoryBus } from './bus.memory.js';
export { createRedisBus } from './bus.redis.js';
export { createFailedEvents, type FailedEvents, type FailedEvent, type FailedStatus } from './failed-events.js';
export type { MemoryEventBus } from './bus.memory.js';
