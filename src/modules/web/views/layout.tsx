import type { ComponentChildren } from 'preact';
import type { User } from '../session.js';

/** What every page knows of its request. */
export interface PageContext {
  user: User | undefined;
  /** The token every form posts back (`_csrf`). */
  csrf: string;
  /** This page's path with its query: where sign-in returns to. */
  path: string;
  assets: { css: string; js: string };
}

export interface PageProps {
  ctx: PageContext;
  title: string;
  /** Extra `<head>` content: description, Open Graph tags, structured data. */
  head?: ComponentChildren;
  /** A message at the top of the page (what the last action did), announced to screen readers. */
  notice?: string | undefined;
  error?: string | undefined;
  children: ComponentChildren;
}

/** Pages that are no place to come back to after signing in (the sign-in page itself, above all). */
const ACCOUNT_PAGES = /^\/(login|signup|verify|forgot|reset|logout)(\/|\?|$)/;

export function Layout({ ctx, title, head, notice, error, children }: PageProps) {
  const admin = ctx.user?.role === 'admin';
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* No icon file: an empty one, so browsers do not ask for /favicon.ico on every page. */}
        <link rel="icon" href="data:," />
        <title>{`${title} · Evently`}</title>
        {head}
        <link rel="stylesheet" href={ctx.assets.css} />
        <script type="module" src={ctx.assets.js} />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">Evently</a>
          <nav aria-label="Main">
            <ul>
              <li><a href="/">Events</a></li>
              {ctx.user && <li><a href="/bookings">My bookings</a></li>}
              {ctx.user && <li><a href="/waitlist">My waitlist</a></li>}
              {admin && <li><a href="/admin">Organiser</a></li>}
            </ul>
          </nav>
          <div class="account">
            {ctx.user ? (
              <form method="post" action="/logout" class="inline">
                <span class="who">{ctx.user.username}</span>
                <input type="hidden" name="_csrf" value={ctx.csrf} />
                <button type="submit" class="link">Sign out</button>
              </form>
            ) : (
              <>
                <a href={ACCOUNT_PAGES.test(ctx.path) ? '/login' : `/login?next=${encodeURIComponent(ctx.path)}`}>Sign in</a>
                <a class="button small" href="/signup">Sign up</a>
              </>
            )}
          </div>
        </header>
        <main id="main">
          {notice && <p class="notice" role="status">{notice}</p>}
          {error && <p class="error" role="alert">{error}</p>}
          {children}
        </main>
        <footer class="bottom">
          <p>Evently — event management and ticketing. <a href="/docs">API</a></p>
        </footer>
      </body>
    </html>
  );
}

/** A hidden CSRF field: every form that changes something carries one. */
export const Csrf = ({ ctx }: { ctx: PageContext }) => <input type="hidden" name="_csrf" value={ctx.csrf} />;

/** A labelled input with its hint and error wired for assistive technology. */
export function Field(props: {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'number' | 'date' | 'datetime-local' | 'search';
  value?: string | number | undefined;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
  min?: number;
  max?: number;
  step?: string;
  pattern?: string;
  inputmode?: 'numeric' | 'decimal' | 'email' | 'text';
  placeholder?: string;
  /** Two columns of a search form (its words). */
  wide?: boolean;
}) {
  const id = `f-${props.name}`;
  return (
    <p class={props.wide ? 'field grow' : 'field'}>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={(props.type ?? 'text') as 'text'}
        value={props.value}
        required={props.required}
        autocomplete={props.autocomplete}
        min={props.min}
        max={props.max}
        step={props.step}
        pattern={props.pattern}
        inputmode={props.inputmode}
        placeholder={props.placeholder}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
      {props.hint && <small id={`${id}-hint`}>{props.hint}</small>}
    </p>
  );
}

/** Previous/next links of a paged list, keeping the other query parameters. */
export function Pager({ base, query, page, hasPrev, hasNext }: { base: string; query: Record<string, string | undefined>; page: number; hasPrev: boolean; hasNext: boolean }) {
  const link = (p: number) => {
    const q = new URLSearchParams(Object.entries({ ...query, page: String(p) }).filter((e): e is [string, string] => Boolean(e[1])));
    return `${base}?${q}`;
  };
  if (!hasPrev && !hasNext) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {hasPrev && <a href={link(page - 1)} rel="prev">← Previous</a>}
      <span>Page {page}</span>
      {hasNext && <a href={link(page + 1)} rel="next">Next →</a>}
    </nav>
  );
}
