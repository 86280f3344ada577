import { pino, type Logger } from 'pino';
import { currentContext } from './context.js';

export type { Logger };

/** Paths that may carry credentials; pino replaces them before a line is written. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.otp',
  '*.secret',
];

export function createLogger(options: { level: string; service: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      // Lines written outside a Fastify request (workers, relays) still carry the request id
      // of the request that caused them, from the async context.
      mixin(_merge, _level, logger) {
        const ctx = currentContext();
        return ctx && !hasRequestIdBinding(logger) ? { request_id: ctx.requestId } : {};
      },
    },
    options.destination,
  );
}

/** Fastify's request loggers already bind request_id; adding it again would duplicate the key. */
const boundLoggers = new WeakMap<object, boolean>();
function hasRequestIdBinding(logger: Logger): boolean {
  let bound = boundLoggers.get(logger);
  if (bound === undefined) {
    bound = 'request_id' in logger.bindings();
    boundLoggers.set(logger, bound);
  }
  return bound;
}
