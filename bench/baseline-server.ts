/**
 * Baselines of PERFORMANCE.md: bare Fastify on the same Node, no plugins, no schemas. Port from PORT.
 * - `hello` (B1) answers {"hello":"world"}; `json2k` (B2) a fixed ~2 KB JSON body.
 * - `select` (the bare SELECT baseline of W2) serves `/api/v1/events/:id` and `/api/v1/events[/upcoming]`
 *   from DATABASE_URL with the plainest SQL that answers them (the events table joined with its seats,
 *   the same filters and orders), returning the rows as they come: no validation, views or cache.
 */
import Fastify from 'fastify';
import pg from 'pg';

const mode = process.argv[2] ?? 'hello';
const fixed = { items: Array.from({ length: 20 }, (_, i) => ({ id: `01a2132a-288c-7e6b-8cf9-30b10eb019${String(i).padStart(2, '0')}`, name: `Event number ${i}`, venue: 'Main hall', starts_at: '2030-01-01T10:00:00.000Z' })) };
const app = Fastify({ logger: false });
app.get('/', async () => (mode === 'json2k' ? fixed : { hello: 'world' }));

if (mode === 'select') {
  // The same pool size as Evently's default (DATABASE_POOL_MAX).
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
  const FROM = `select e.*, coalesce(a.taken, 0) as taken, count(*) over () as total
    from events.events e left join events.availability a on a.event_id = e.id where e.status = 'published'`;
  const ORDERS: Record<string, string> = {
    starts_at: 'e.starts_at, e.id',
    '-starts_at': 'e.starts_at desc, e.id desc',
    price: 'e.price, e.id',
    '-price': 'e.price desc, e.id desc',
    created_at: 'e.created_at, e.id',
    '-created_at': 'e.created_at desc, e.id desc',
  };

  app.get<{ Params: { id: string } }>('/api/v1/events/:id', async (request, reply) => {
    const { rows } = await pool.query({ name: 'detail', text: `${FROM} and e.id = $1`, values: [request.params.id] });
    return rows[0] ?? reply.code(404).send({ error: 'not found' });
  });

  const list = async (query: Record<string, string>, upcoming: boolean) => {
    const values: unknown[] = [];
    const arg = (v: unknown) => `$${values.push(v)}`;
    let where = '';
    if (query.category) where += ` and e.category = ${arg(query.category)}`;
    if (query.venue) where += ` and lower(e.venue) like ${arg(`%${query.venue.toLowerCase()}%`)}`;
    if (query.q) where += ` and e.search @@ websearch_to_tsquery('english', ${arg(query.q)})`;
    if (query.price_min) where += ` and e.price >= ${arg(query.price_min)}`;
    if (query.price_max) where += ` and e.price <= ${arg(query.price_max)}`;
    if (upcoming || query.upcoming === 'true') where += ' and e.starts_at > now()';
    if (query.has_seats === 'true') where += ' and e.capacity > coalesce(a.taken, 0)';
    const sort = query.sort ?? (query.q ? 'relevance' : 'starts_at');
    const order = sort === 'relevance' ? `ts_rank_cd(e.search, websearch_to_tsquery('english', ${arg(query.q)})) desc, e.starts_at, e.id` : ORDERS[sort];
    const size = Number(query.size ?? 20);
    const page = Number(query.page ?? 1);
    const { rows } = await pool.query(`${FROM}${where} order by ${order} limit ${arg(size)} offset ${arg((page - 1) * size)}`, values);
    return { items: rows, total: Number(rows[0]?.total ?? 0), page, size };
  };
  app.get<{ Querystring: Record<string, string> }>('/api/v1/events', async (request) => list(request.query, false));
  app.get<{ Querystring: Record<string, string> }>('/api/v1/events/upcoming', async (request) => list(request.query, true));
}

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
