import { BEARER, PUBLIC, errorResponses, type App } from '../../kernel/index.js';
import * as account from './account.service.js';
import * as passwords from './password.service.js';
import * as registration from './registration.service.js';
import type { AuthDeps } from './auth.deps.js';
import { requestCode } from './code-requests.js';
import {
  Accepted,
  NoContent,
  ChangePasswordBody,
  EmailBody,
  Jwks,
  LoginBody,
  RefreshBody,
  RegisterBody,
  ResetPasswordBody,
  SessionList,
  SessionParams,
  TokenPair,
  UpdateMeBody,
  User,
  VerifyEmailBody,
} from './auth.schemas.js';
import { clientMeta, sessionView, userView } from './auth.views.js';
import { normaliseEmail } from './identity.js';
import type { AuthLimits } from './rate-limits.js';
import * as sessions from './session.service.js';

const tags = ['auth'];
const CODE_SENT = 'if the address belongs to an account that needs it, a code is on its way';
const REGISTERED = 'if the address can be registered, a verification code is on its way: verify it with the code and your password';

/** SPEC §3 account and session routes, plus the JWKS every other module verifies tokens with. */
export function authRoutes(app: App, deps: AuthDeps, limits: AuthLimits): void {
  const { requireAuth } = deps.access;

  app.get('/.well-known/jwks.json', {
    schema: { tags, summary: 'Public keys that verify access tokens', operationId: 'getJwks', security: PUBLIC, response: { 200: Jwks } },
  }, async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return { keys: deps.keys.jwks };
  });

  app.post('/api/v1/auth/register', {
    schema: {
      tags,
      summary: 'Create an account; a verification code is emailed',
      description: 'Stores a pending registration (the latest for an address replaces the one before) and mails the address a code; the account is made when the code and the password are given to verify-email. Answers 202 with the same body whether or not the address has an account (its owner is then mailed a notice instead, and the account is untouched): registration tells nothing about an address. A username held by an account or by another address\'s pending registration answers 409 USERNAME_TAKEN whatever the address.',
      operationId: 'registerUser',
      security: PUBLIC,
      body: RegisterBody,
      response: { 202: Accepted, ...errorResponses(400, 409, 429) },
    },
  }, async (request, reply) => {
    await limits.check('register', request.ip);
    await registration.register(deps, limits, request.body);
    return reply.status(202).send({ message: REGISTERED });
  });

  app.post('/api/v1/auth/verify-email', {
    schema: { tags, summary: 'Verify the email address with the emailed code and the password you registered with', operationId: 'verifyEmail', security: PUBLIC, body: VerifyEmailBody, response: { 200: Accepted, ...errorResponses(400, 409, 429, 503) } },
  }, async (request) => {
    await limits.check('verify', request.ip);
    await registration.verifyEmail(deps, limits, request.body, clientMeta(request));
    return { message: 'email verified' };
  });

  app.post('/api/v1/auth/resend-otp', {
    schema: { tags, summary: 'Email a new verification code', operationId: 'resendOtp', security: PUBLIC, body: EmailBody, response: { 202: Accepted, ...errorResponses(400, 429) } },
  }, async (request, reply) => {
    await limits.check('resend', request.ip);
    await requestCode(deps, request.body.email, 'verify_email');
    return reply.status(202).send({ message: CODE_SENT });
  });

  app.post('/api/v1/auth/login', {
    schema: { tags, summary: 'Sign in: a new session with an access and a refresh token', operationId: 'login', security: PUBLIC, body: LoginBody, response: { 200: TokenPair, ...errorResponses(400, 401, 403, 429, 503) } },
  }, async (request) => {
    await limits.check('login', request.ip);
    return sessions.login(deps, limits, normaliseEmail(request.body.email), request.body.password, clientMeta(request));
  });

  app.post('/api/v1/auth/refresh', {
    schema: { tags, summary: 'Trade a refresh token for a new pair (the old one stops working)', operationId: 'refreshTokens', security: PUBLIC, body: RefreshBody, response: { 200: TokenPair, ...errorResponses(400, 401) } },
  }, async (request) => sessions.refresh(deps, request.body.refresh_token));

  app.post('/api/v1/auth/logout', {
    preHandler: requireAuth,
    schema: { tags, summary: 'End the current session', operationId: 'logout', security: BEARER, response: { 204: NoContent, ...errorResponses(401) } },
  }, async (request, reply) => {
    await sessions.logout(deps, request.auth!.userId, request.auth!.sessionId);
    return reply.status(204).send(null);
  });

  app.get('/api/v1/auth/me', {
    preHandler: requireAuth,
    schema: { tags, summary: 'The signed-in user', operationId: 'getCurrentUser', security: BEARER, response: { 200: User, ...errorResponses(401, 404) } },
  }, async (request) => userView(await account.getUser(deps, request.auth!.userId)));

  app.put('/api/v1/auth/me', {
    preHandler: requireAuth,
    schema: { tags, summary: 'Change your name or username', operationId: 'updateCurrentUser', security: BEARER, body: UpdateMeBody, response: { 200: User, ...errorResponses(400, 401, 404, 409) } },
  }, async (request) => userView(await account.updateProfile(deps, request.auth!.userId, request.body)));

  app.post('/api/v1/auth/change-password', {
    preHandler: requireAuth,
    schema: { tags, summary: 'Change your password; your other sessions end', operationId: 'changePassword', security: BEARER, body: ChangePasswordBody, response: { 204: NoContent, ...errorResponses(400, 401, 409, 429, 503) } },
  }, async (request, reply) => {
    await limits.check('login', request.ip);
    const me = await account.getUser(deps, request.auth!.userId);
    await passwords.changePassword(deps, limits, me, request.auth!.sessionId, request.body, clientMeta(request));
    return reply.status(204).send(null);
  });

  app.post('/api/v1/auth/forgot-password', {
    schema: { tags, summary: 'Email a password reset code', operationId: 'forgotPassword', security: PUBLIC, body: EmailBody, response: { 202: Accepted, ...errorResponses(400, 429) } },
  }, async (request, reply) => {
    await limits.check('forgot', request.ip);
    await requestCode(deps, request.body.email, 'reset_password');
    return reply.status(202).send({ message: CODE_SENT });
  });

  app.post('/api/v1/auth/reset-password', {
    schema: { tags, summary: 'Set a new password with the emailed code; every session ends', operationId: 'resetPassword', security: PUBLIC, body: ResetPasswordBody, response: { 204: NoContent, ...errorResponses(400, 429, 503) } },
  }, async (request, reply) => {
    await limits.check('reset', request.ip);
    await passwords.resetPassword(deps, limits, request.body, clientMeta(request));
    return reply.status(204).send(null);
  });

  app.get('/api/v1/auth/sessions', {
    preHandler: requireAuth,
    schema: { tags, summary: 'Your active sessions', operationId: 'listMySessions', security: BEARER, response: { 200: SessionList, ...errorResponses(401) } },
  }, async (request) => ({
    items: (await sessions.listSessions(deps, request.auth!.userId)).map((s) => sessionView(s, request.auth!.sessionId)),
  }));

  app.delete('/api/v1/auth/sessions/:id', {
    preHandler: requireAuth,
    schema: { tags, summary: 'End one of your sessions', operationId: 'revokeMySession', security: BEARER, params: SessionParams, response: { 204: NoContent, ...errorResponses(400, 401, 404) } },
  }, async (request, reply) => {
    await sessions.revokeOwnSession(deps, request.auth!.userId, request.params.id);
    return reply.status(204).send(null);
  });
}
