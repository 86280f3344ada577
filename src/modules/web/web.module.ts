import { defineModule, type App } from '../../kernel/index.js';
import { forwardRoutes } from './forward.js';
import { webApp } from './web.app.js';
import { webSettings, type WebConfig } from './web.settings.js';

/**
 * The web app (SPEC §9) as a module: pages for attendees and organisers, a client of the public
 * API like any other. All-in-one, the API is in the same process; in split mode (`--modules web`)
 * its process forwards the API's paths to the modules (WEB_UPSTREAMS). It owns no data.
 */
export const webModule = defineModule<WebConfig, unknown>({
  name: 'web',
  description: 'Web app: attendee and organiser pages on the public API',
  schema: 'web',
  migrationsDir: null,
  settings: webSettings,

  create(ctx) {
    return {
      async routes(app) {
        await forwardRoutes(app, ctx.platform.modules, ctx.config.upstreams);
        // `inject` on any scope goes through the whole app: the pages call the API as a client would.
        await app.register(async (scope) => webApp(scope as App, { api: app, logger: ctx.logger, secureCookies: ctx.config.secureCookies, publicUrl: ctx.config.publicUrl }));
      },
    };
  },
});
