import { Type } from 'typebox';
import type { App } from '../../kernel/index.js';
import { detailedProblem, problemOf } from './api.js';
import { FormOf, noticeOf, type WebForm } from './forms.js';
import type { Web } from './web.js';
import { ForgotPage, LoginPage, ResetPage, SignupPage, VerifyPage } from './views/account.js';
import { safeNext } from './views/format.js';

const text = (max: number) => Type.String({ maxLength: max });
const LoginForm = FormOf({ email: text(320), password: text(200), next: Type.Optional(text(2000)) });
const SignupForm = FormOf({ email: text(320), username: text(100), full_name: Type.Optional(text(200)), password: text(200) });
const VerifyForm = FormOf({ email: text(320), otp: text(20), password: text(200) });
const EmailForm = FormOf({ email: text(320) });
const ResetForm = FormOf({ email: text(320), otp: text(20), new_password: text(200) });
const EmailQuery = Type.Object({ email: Type.Optional(text(320)), next: Type.Optional(text(2000)), done: Type.Optional(text(40)) }, { additionalProperties: true });

const DONE: Record<string, string> = {
  'signed-out': 'You are signed out.',
  reset: 'Your password is changed. Sign in with the new one.',
  sent: 'If an account exists for that address, a code is on its way.',
  registered: 'Your account is created. Enter the code we emailed you.',
};
const hide = { hide: true } as const;

/** Sign-in, sign-up with the emailed code, password reset and sign-out. */
export function accountRoutes(app: App, web: Web, form: WebForm): void {
  const post = <S,>(body: S) => ({ schema: { ...hide, body }, preHandler: form.protect });

  app.get('/login', { schema: { ...hide, querystring: EmailQuery } }, async (request, reply) => {
    const q = request.query as { next?: string; done?: string; email?: string };
    return web.page(request, reply, (ctx) => <LoginPage ctx={ctx} next={safeNext(q.next)} notice={noticeOf(DONE, q)} values={{ email: q.email }} />);
  });

  app.post('/login', post(LoginForm), async (request, reply) => {
    const f = request.body as { email: string; password: string; next?: string };
    const { data, error, response } = await web.api(request).POST('/api/v1/auth/login', { body: { email: f.email, password: f.password } });
    if (data) {
      web.sessions.start(reply, data);
      return reply.redirect(safeNext(f.next), 303);
    }
    const problem = problemOf(error);
    // An account that is not verified yet finishes sign-up first.
    if (problem.code === 'EMAIL_NOT_VERIFIED') return reply.redirect(`/verify?email=${encodeURIComponent(f.email)}`, 303);
    return web.page(request, reply, (ctx) => <LoginPage ctx={ctx} next={safeNext(f.next)} error={problem.message} values={{ email: f.email }} />, response.status);
  });

  app.post('/logout', post(FormOf({})), async (request, reply) => {
    const session = await web.sessions.load(request, reply);
    if (session) await web.api(request, session).POST('/api/v1/auth/logout');
    web.sessions.end(reply);
    return reply.redirect('/login?done=signed-out', 303);
  });

  app.get('/signup', { schema: hide }, async (request, reply) => web.page(request, reply, (ctx) => <SignupPage ctx={ctx} />));

  app.post('/signup', post(SignupForm), async (request, reply) => {
    const f = request.body as { email: string; username: string; full_name?: string; password: string };
    const { error, response } = await web.api(request).POST('/api/v1/auth/register', {
      body: { email: f.email, username: f.username, password: f.password, full_name: f.full_name?.trim() || undefined },
    });
    if (!error) return reply.redirect(`/verify?email=${encodeURIComponent(f.email)}&done=registered`, 303);
    const values = { email: f.email, username: f.username, full_name: f.full_name };
    return web.page(request, reply, (ctx) => <SignupPage ctx={ctx} error={detailedProblem(error)} values={values} />, response.status);
  });

  app.get('/verify', { schema: { ...hide, querystring: EmailQuery } }, async (request, reply) => {
    const q = request.query as { email?: string; done?: string };
    return web.page(request, reply, (ctx) => <VerifyPage ctx={ctx} values={{ email: q.email }} notice={noticeOf(DONE, q)} />);
  });

  app.post('/verify', post(VerifyForm), async (request, reply) => {
    const f = request.body as { email: string; otp: string; password: string };
    const api = web.api(request);
    const verified = await api.POST('/api/v1/auth/verify-email', { body: { email: f.email, otp: f.otp.trim(), password: f.password } });
    if (verified.error) {
      return web.page(request, reply, (ctx) => <VerifyPage ctx={ctx} error={problemOf(verified.error).message} values={{ email: f.email }} />, verified.response.status);
    }
    const { data } = await api.POST('/api/v1/auth/login', { body: { email: f.email, password: f.password } });
    if (!data) return reply.redirect(`/login?email=${encodeURIComponent(f.email)}`, 303);
    web.sessions.start(reply, data);
    return reply.redirect('/?done=welcome', 303);
  });

  app.post('/verify/resend', post(EmailForm), async (request, reply) => {
    const f = request.body as { email: string };
    const { error, response } = await web.api(request).POST('/api/v1/auth/resend-otp', { body: { email: f.email } });
    return web.page(request, reply, (ctx) => (
      <VerifyPage ctx={ctx} values={{ email: f.email }} error={error ? problemOf(error).message : undefined} notice={error ? undefined : DONE.sent} />
    ), error ? response.status : 200);
  });

  app.get('/forgot', { schema: hide }, async (request, reply) => web.page(request, reply, (ctx) => <ForgotPage ctx={ctx} />));

  app.post('/forgot', post(EmailForm), async (request, reply) => {
    const f = request.body as { email: string };
    const { error, response } = await web.api(request).POST('/api/v1/auth/forgot-password', { body: { email: f.email } });
    if (error) return web.page(request, reply, (ctx) => <ForgotPage ctx={ctx} error={problemOf(error).message} values={{ email: f.email }} />, response.status);
    return reply.redirect(`/reset?email=${encodeURIComponent(f.email)}&done=sent`, 303);
  });

  app.get('/reset', { schema: { ...hide, querystring: EmailQuery } }, async (request, reply) => {
    const q = request.query as { email?: string; done?: string };
    return web.page(request, reply, (ctx) => <ResetPage ctx={ctx} values={{ email: q.email }} notice={noticeOf(DONE, q)} />);
  });

  app.post('/reset', post(ResetForm), async (request, reply) => {
    const f = request.body as { email: string; otp: string; new_password: string };
    const { error, response } = await web.api(request).POST('/api/v1/auth/reset-password', { body: { email: f.email, otp: f.otp.trim(), new_password: f.new_password } });
    if (error) return web.page(request, reply, (ctx) => <ResetPage ctx={ctx} error={detailedProblem(error)} values={{ email: f.email }} />, response.status);
    return reply.redirect(`/login?email=${encodeURIComponent(f.email)}&done=reset`, 303);
  });
}
