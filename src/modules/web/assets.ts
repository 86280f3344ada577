import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { App } from '../../kernel/index.js';

export interface Assets {
  /** Paths with a content hash: cached for a year, a new release gets new names. */
  css: string;
  js: string;
}

/**
 * The stylesheet and the browser bundle (browser/app.ts and the typed API client it uses), bundled
 * in memory by esbuild when the process starts: there is no build step to forget, and the same code
 * runs from src/ (tsx) and dist/ (compiled).
 */
export async function assetRoutes(app: App): Promise<Assets> {
  const source = fileURLToPath(new URL('./browser/app.ts', import.meta.url));
  const entry = existsSync(source) ? source : fileURLToPath(new URL('./browser/app.js', import.meta.url));
  const bundle = await build({ entryPoints: [entry], bundle: true, write: false, format: 'esm', minify: true, target: 'es2020', platform: 'browser', legalComments: 'none', logLevel: 'silent' });
  const js = Buffer.from(bundle.outputFiles[0]!.contents);
  const css = readFileSync(new URL('./style.css', import.meta.url));
  const named = (body: Buffer, ext: string) => `/assets/${ext === 'js' ? 'app' : 'style'}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${ext}`;
  const files = new Map([[named(js, 'js'), { body: js, type: 'text/javascript; charset=utf-8' }], [named(css, 'css'), { body: css, type: 'text/css; charset=utf-8' }]]);
  for (const [path, file] of files) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(file.type).header('cache-control', 'public, max-age=31536000, immutable').send(file.body));
  }
  const [jsPath, cssPath] = [...files.keys()];
  return { js: jsPath!, css: cssPath! };
}
