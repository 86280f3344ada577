import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, envelope, ERROR_STATUS, type ErrorCode, type ErrorDetail } from '../errors.js';

/** Maps every failure to the SPEC §8 envelope: stable code, no stack trace, no SQL. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else {
      request.log.info({ code: appError.code, status: appError.status }, appError.message);
    }
    if (appError.headers) void reply.headers(appError.headers);
    return reply.status(appError.status).send(envelope(appError, request.id));
  });

  app.setNotFoundHandler((request, reply) => {
    const err = new AppError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(404).send(envelope(err, request.id));
  });
}

const STATUS_CODES = new Map<number, ErrorCode>(
  (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).reverse().map(([code, status]) => [status, code]),
);

function toAppError(error: FastifyError | AppError): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError;
  if (fe.validation) {
    return new AppError('VALIDATION_FAILED', 'request is invalid', { details: validationDetails(fe) });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content type; send application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('BAD_REQUEST', 'request body is not valid JSON');
  }
  // A value PostgreSQL cannot store as text (a NUL byte, an invalid encoding) is the client's input,
  // not our failure. Schemas refuse these where they can; this is the net for any that get through.
  if (PG_BAD_TEXT.has((error as { code?: string }).code ?? '')) {
    return new AppError('BAD_REQUEST', 'request contains characters that cannot be stored (e.g. a NUL byte)');
  }
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = STATUS_CODES.get(status) ?? 'BAD_REQUEST';
    return new AppError(code, fe.message || 'bad request');
  }
  return new AppError('INTERNAL', 'internal error', { cause: error });
}

/** character_not_in_repertoire, untranslatable_character. */
const PG_BAD_TEXT = new Set(['22021', '22P05']);

function validationDetails(fe: FastifyError): ErrorDetail[] {
  const where = fe.validationContext ?? 'body';
  return (fe.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const prop = (params.additionalProperty ?? params.missingProperty) as string | undefined;
    const pathPart = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = [where, pathPart, prop].filter(Boolean).join('.');
    const message = params.additionalProperty ? 'unknown field' : (v.message ?? 'invalid');
    return { field, message };
  });
}
