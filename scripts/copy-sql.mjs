// `npm run build` compiles TypeScript to dist/; the modules' SQL migrations and the web app's
// stylesheet travel with it.
import { cpSync } from 'node:fs';

cpSync('src', 'dist', { recursive: true, filter: (src) => !/\.[a-z]+$/.test(src) || src.endsWith('.sql') || src.endsWith('.css') });
