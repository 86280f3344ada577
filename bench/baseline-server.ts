/**
 * Baselines B1 and B2 of PERFORMANCE.md: bare Fastify on the same Node, no plugins.
 * `hello` answers {"hello":"world"}; `json2k` a fixed ~2 KB JSON body. Port from PORT.
 */
import Fastify from 'fastify';

const mode = process.argv[2] ?? 'hello';
const fixed = { items: Array.from({ length: 20 }, (_, i) => ({ id: `01a2132a-288c-7e6b-8cf9-30b10eb019${String(i).padStart(2, '0')}`, name: `Event number ${i}`, venue: 'Main hall', starts_at: '2030-01-01T10:00:00.000Z' })) };
const app = Fastify({ logger: false });
app.get('/', async () => (mode === 'json2k' ? fixed : { hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
