import type { ComponentChildren } from 'preact';
import { Layout, type PageContext } from './layout.js';

function ErrorLayout({ ctx, title, children }: { ctx: PageContext; title: string; children: ComponentChildren }) {
  return (
    <Layout ctx={ctx} title={title}>
      <h1>{title}</h1>
      {children}
      <p><a href="/">Back to the events</a></p>
    </Layout>
  );
}

export const NotFoundPage = (ctx: PageContext) => (
  <ErrorLayout ctx={ctx} title="Page not found"><p>There is nothing at this address. The event may have been removed, or the link is incomplete.</p></ErrorLayout>
);

export const ForbiddenPage = (ctx: PageContext) => (
  <ErrorLayout ctx={ctx} title="Not allowed"><p>This page is for organisers. Sign in with an organiser account to see it.</p></ErrorLayout>
);

export const ExpiredFormPage = (ctx: PageContext) => (
  <ErrorLayout ctx={ctx} title="The form has expired">
    <p>For your safety, forms are only accepted from the page that showed them. Go back, reload the page and send it again.</p>
  </ErrorLayout>
);

export const BadRequestPage = (message: string) => (ctx: PageContext) => (
  <ErrorLayout ctx={ctx} title="That did not look right"><p>{message}</p></ErrorLayout>
);

export const ServerErrorPage = (requestId: string) => (ctx: PageContext) => (
  <ErrorLayout ctx={ctx} title="Something went wrong">
    <p>The page could not be shown. Try again in a moment. If it keeps happening, quote this reference: <code>{requestId}</code>.</p>
  </ErrorLayout>
);

export const UnavailablePage = (ctx: PageContext) => (
  <ErrorLayout ctx={ctx} title="Back in a moment"><p>A part of Evently did not answer just now. Nothing was lost: try again in a few seconds.</p></ErrorLayout>
);
