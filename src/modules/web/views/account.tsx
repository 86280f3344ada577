import type { ComponentChildren } from 'preact';
import { Csrf, Field, Layout, type PageContext } from './layout.js';

interface FormPage {
  ctx: PageContext;
  error?: string | undefined;
  notice?: string | undefined;
  values?: Record<string, string | undefined>;
}

const PASSWORD_HINT = '8 to 128 characters, with an upper-case letter, a lower-case letter and a digit.';

export function LoginPage({ ctx, error, notice, values = {}, next }: FormPage & { next: string }) {
  return (
    <Layout ctx={ctx} title="Sign in" error={error} notice={notice}>
      <h1>Sign in</h1>
      <form method="post" action="/login" class="narrow">
        <Csrf ctx={ctx} />
        <input type="hidden" name="next" value={next} />
        <Field name="email" label="Email" type="email" value={values.email} required autocomplete="email" />
        <Field name="password" label="Password" type="password" required autocomplete="current-password" />
        <p class="actions"><button type="submit">Sign in</button></p>
      </form>
      <p><a href="/forgot">Forgot your password?</a> · <a href="/signup">Create an account</a></p>
    </Layout>
  );
}

export function SignupPage({ ctx, error, values = {} }: FormPage) {
  return (
    <Layout ctx={ctx} title="Create an account" error={error}>
      <h1>Create an account</h1>
      <form method="post" action="/signup" class="narrow">
        <Csrf ctx={ctx} />
        <Field name="email" label="Email" type="email" value={values.email} required autocomplete="email" />
        <Field name="username" label="Username" value={values.username} required autocomplete="username" pattern="[A-Za-z0-9_\-]{3,100}" hint="3 to 100 letters, digits, _ or -." />
        <Field name="full_name" label="Full name (optional)" value={values.full_name} autocomplete="name" />
        <Field name="password" label="Password" type="password" required autocomplete="new-password" hint={PASSWORD_HINT} />
        <p class="actions"><button type="submit">Create account</button></p>
      </form>
      <p>Already have an account? <a href="/login">Sign in</a></p>
    </Layout>
  );
}

/** The password is asked again: the API checks it with the code, and the page never stores it. */
export function VerifyPage({ ctx, error, notice, values = {} }: FormPage) {
  return (
    <Layout ctx={ctx} title="Verify your email" error={error} notice={notice}>
      <h1>Verify your email</h1>
      <p>We sent a 6-digit code to <strong>{values.email || 'your email address'}</strong>. It is valid for a few minutes; a new one can be sent once a minute.</p>
      <form method="post" action="/verify" class="narrow">
        <Csrf ctx={ctx} />
        <Field name="email" label="Email" type="email" value={values.email} required autocomplete="email" />
        <Field name="otp" label="Code" required autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" hint="The 6 digits from the email." />
        <Field name="password" label="Password" type="password" required autocomplete="current-password" hint="The password you chose when signing up." />
        <p class="actions"><button type="submit">Verify and sign in</button></p>
      </form>
      <form method="post" action="/verify/resend" class="inline">
        <Csrf ctx={ctx} />
        <input type="hidden" name="email" value={values.email ?? ''} />
        <button type="submit" class="link">Send a new code</button>
      </form>
    </Layout>
  );
}

export function ForgotPage({ ctx, error, values = {} }: FormPage) {
  return (
    <Layout ctx={ctx} title="Reset your password" error={error}>
      <h1>Reset your password</h1>
      <form method="post" action="/forgot" class="narrow">
        <Csrf ctx={ctx} />
        <Field name="email" label="Email" type="email" value={values.email} required autocomplete="email" />
        <p class="actions"><button type="submit">Email me a code</button></p>
      </form>
    </Layout>
  );
}

export function ResetPage({ ctx, error, notice, values = {} }: FormPage) {
  return (
    <Layout ctx={ctx} title="Choose a new password" error={error} notice={notice}>
      <h1>Choose a new password</h1>
      <form method="post" action="/reset" class="narrow">
        <Csrf ctx={ctx} />
        <Field name="email" label="Email" type="email" value={values.email} required autocomplete="email" />
        <Field name="otp" label="Code" required autocomplete="one-time-code" hint="The code from the email, as it is written there." />
        <Field name="new_password" label="New password" type="password" required autocomplete="new-password" hint={PASSWORD_HINT} />
        <p class="actions"><button type="submit">Set password</button></p>
      </form>
    </Layout>
  );
}

export function MessagePage({ ctx, title, children, status }: { ctx: PageContext; title: string; children: ComponentChildren; status?: number }) {
  return (
    <Layout ctx={ctx} title={title}>
      <h1>{title}</h1>
      {status && <p class="muted">Error {status}</p>}
      {children}
    </Layout>
  );
}
