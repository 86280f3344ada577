export * from './types.js';
export { createOutbox, createOutboxSignal, outboxInsert, type Outbox, type OutboxSignal, type NewEvent } from './outbox.js';
export { createOutboxRelay, type OutboxRelay, type RelayOptions } from './relay.js';
export { applyOnce } from './inbox.js';
export { subscribeConsumers } from './consumers.js';
export { createMemoryBus } from './bus.memory.js';
export { createRedisBus } from './bus.redis.js';
