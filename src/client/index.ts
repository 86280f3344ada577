/**
 * The typed Evently API client (`import { createEventlyClient } from 'evently/client'`): openapi-fetch
 * over the types generated from the OpenAPI document, so a path, a parameter or a body the API does
 * not have is a compile error. The web app's server and browser code use it too.
 */
import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './openapi.js';

export type { components, paths, operations } from './openapi.js';
export type EventlyClient = Client<paths>;
/** The 200 body of an operation (`Ok<'getEvent'>`): code typed by it breaks at compile time when the API changes. */
export type Ok<K extends keyof operations> = operations[K]['responses'] extends { 200: { content: { 'application/json': infer T } } } ? T : never;

/** The error body every failed call answers (`{ error: { code, message, request_id, details? } }`). */
export type ErrorEnvelope = components['schemas']['ErrorEnvelope'];

export interface EventlyClientOptions extends ClientOptions {
  /** An access token sent as `Authorization: Bearer …`, or a function giving the current one. */
  token?: string | (() => string | undefined);
}

export function createEventlyClient(options: EventlyClientOptions = {}): EventlyClient {
  const { token, ...rest } = options;
  const client = createClient<paths>(rest);
  if (token) {
    const auth: Middleware = {
      onRequest({ request }) {
        const value = typeof token === 'function' ? token() : token;
        if (value) request.headers.set('authorization', `Bearer ${value}`);
        return request;
      },
    };
    client.use(auth);
  }
  return client;
}
