import { BEARER, errorResponses, type App } from '../../kernel/index.js';
import * as admin from './admin.service.js';
import { AdminCreateUserBody, AdminUpdateUserBody, CleanupResult, Count, UserPage, UserParams, UserQuery } from './admin.schemas.js';
import type { AuthDeps } from './auth.deps.js';
import { NoContent, SessionList, User } from './auth.schemas.js';
import { sessionView, userView } from './auth.views.js';

const tags = ['admin: users'];

/** SPEC §3 admin routes: every one requires the admin role. */
export function adminRoutes(app: App, deps: AuthDeps): void {
  const onlyAdmins = deps.access.requireRole('admin');
  const base = '/api/v1/admin/users';

  app.post(base, {
    preHandler: onlyAdmins,
    schema: { tags, summary: 'Create a user (any role, optionally verified)', operationId: 'createAdminUser', security: BEARER, body: AdminCreateUserBody, response: { 201: User, ...errorResponses(400, 401, 403, 409) } },
  }, async (request, reply) => reply.status(201).send(userView(await admin.createAccount(deps, request.body))));

  app.get(base, {
    preHandler: onlyAdmins,
    schema: { tags, summary: 'Users, newest first, filtered and paginated', operationId: 'listAdminUsers', security: BEARER, querystring: UserQuery, response: { 200: UserPage, ...errorResponses(400, 401, 403) } },
  }, async (request) => {
    const { page, page_size, ...filter } = request.query;
    const { items, total } = await admin.searchUsers(deps, { ...filter, limit: page_size, offset: (page - 1) * page_size });
    return { items: items.map(userView), total, page, page_size };
  });

  app.get(`${base}/:id`, {
    preHandler: onlyAdmins,
    schema: { tags, summary: 'One user', operationId: 'getAdminUser', security: BEARER, params: UserParams, response: { 200: User, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => userView(await admin.getUserOr404(deps, request.params.id)));

  app.put(`${base}/:id`, {
    preHandler: onlyAdmins,
    schema: { tags, summary: 'Change a user (a role change ends their sessions)', operationId: 'updateAdminUser', security: BEARER, params: UserParams, body: AdminUpdateUserBody, response: { 200: User, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (request) => userView(await admin.adminUpdateUser(deps, request.auth!.userId, request.params.id, request.body)));

  app.delete(`${base}/:id`, {
    preHandler: onlyAdmins,
    schema: { tags, summary: 'Delete a user and end their sessions', operationId: 'deleteAdminUser', security: BEARER, params: UserParams, response: { 204: NoContent, ...errorResponses(400, 401, 403, 404) } },
  }, async (request, reply) => {
    await admin.adminDeleteUser(deps, request.auth!.userId, request.params.id);
    return reply.status(204).send(null);
  });

  for (const [action, active] of [['deactivate', false], ['activate', true]] as const) {
    app.post(`${base}/:id/${action}`, {
      preHandler: onlyAdmins,
      schema: { tags, summary: active ? 'Let a user sign in again' : 'Stop a user signing in and end their sessions', operationId: `${action}AdminUser`, security: BEARER, params: UserParams, response: { 200: User, ...errorResponses(400, 401, 403, 404) } },
    }, async (request) => userView(await admin.setActive(deps, request.auth!.userId, request.params.id, active)));
  }

  app.get(`${base}/:id/sessions`, {
    preHandler: onlyAdmins,
    schema: { tags, summary: "A user's active sessions", operationId: 'listAdminUserSessions', security: BEARER, params: UserParams, response: { 200: SessionList, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => ({ items: (await admin.userSessions(deps, request.params.id)).map((s) => sessionView(s)) }));

  app.delete(`${base}/:id/sessions`, {
    preHandler: onlyAdmins,
    schema: { tags, summary: "End every session of a user", operationId: 'revokeAdminUserSessions', security: BEARER, params: UserParams, response: { 200: Count, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => ({ count: await admin.revokeUserSessions(deps, request.params.id) }));

  app.post('/api/v1/admin/sessions/cleanup', {
    preHandler: onlyAdmins,
    schema: { tags: ['admin: sessions'], summary: 'Delete ended sessions and used codes', operationId: 'cleanupAdminSessions', security: BEARER, response: { 200: CleanupResult, ...errorResponses(401, 403) } },
  }, async () => admin.cleanupSessions(deps));
}
