import { MODULE_PORTS, SettingError, bool, optional, url, type ModuleName, type ModuleSettings, type ParsedSettings, type Setting } from '../../kernel/index.js';

export interface WebConfig {
  secureCookies: boolean;
  publicUrl: string | undefined;
  /** Where each API module answers when this process does not run it (several: load-balanced). */
  upstreams: Record<Exclude<ModuleName, 'web'>, string[]>;
}

type Upstreams = WebConfig['upstreams'];
const API_MODULES = (Object.keys(MODULE_PORTS) as ModuleName[]).filter((m): m is Exclude<ModuleName, 'web'> => m !== 'web');
const LOCAL: Upstreams = Object.fromEntries(API_MODULES.map((m) => [m, [`http://127.0.0.1:${MODULE_PORTS[m]}`]])) as Upstreams;

/** `module=url|url,module=url`: each named module's addresses, the others left at their default. */
function upstreams(opts: { doc: string; defaultDoc: string }): Setting<Upstreams> {
  return {
    ...opts,
    default: LOCAL,
    parse(raw) {
      const out = { ...LOCAL };
      for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
        const [name, urls] = entry.split('=', 2) as [string, string | undefined];
        if (!API_MODULES.includes(name as never) || !urls) throw new SettingError(`entries are module=url (modules: ${API_MODULES.join(', ')}); got "${entry}"`);
        const list = urls.split('|').map((u) => u.trim());
        for (const u of list) {
          let parsed: URL;
          try {
            parsed = new URL(u);
          } catch {
            throw new SettingError(`${name}: "${u}" is not a URL`);
          }
          if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new SettingError(`${name}: "${u}" must be http:// or https://`);
        }
        out[name as keyof Upstreams] = list;
      }
      return out;
    },
  };
}

export const WEB_SETTINGS = {
  WEB_SECURE_COOKIES: optional(bool({
    defaultDoc: 'true when NODE_ENV=production',
    doc: "Mark the web app's session and CSRF cookies `Secure` (sent over HTTPS only). Leave on in production behind TLS; off only for plain-HTTP development.",
  })),
  WEB_PUBLIC_URL: optional(url({
    protocols: ['http:', 'https:'],
    defaultDoc: "the request's own scheme and Host",
    doc: "The web app's public address (e.g. https://tickets.example.org), used for the links a shared event page gives (canonical, Open Graph, schema.org). Set it in production, so a forged Host header cannot change them.",
  })),
  WEB_UPSTREAMS: upstreams({
    defaultDoc: 'each module on 127.0.0.1 at its split-mode port',
    doc: 'Split mode: where the web app finds the API modules its process does not run, as `module=url` pairs (`bookings=http://b1:35002|http://b2:35002` balances over replicas); modules not named keep the default. Its process forwards their paths there (the browser and the pages see one site); each of those services should trust it for `X-Forwarded-For` (TRUST_PROXY).',
  }),
} as const;

type WebSettings = ParsedSettings<typeof WEB_SETTINGS>;

export const webSettings: ModuleSettings<WebConfig> = {
  table: WEB_SETTINGS,
  slice(raw, platform): WebConfig {
    const s = raw as WebSettings;
    return { secureCookies: s.WEB_SECURE_COOKIES ?? platform.env === 'production', publicUrl: s.WEB_PUBLIC_URL, upstreams: s.WEB_UPSTREAMS };
  },
};
