/**
 * Tables every module gets in its own schema, created before the module's own migrations:
 * the outbox (events written in the business transaction) and the inbox (event ids a consumer
 * has already applied, so a redelivery has no second effect).
 */
export function platformMigrationSql(schema: string): string {
  const s = quoteIdent(schema);
  return `
create table ${s}.outbox (
  seq            bigserial primary key,
  id             uuid not null unique,
  type           text not null,
  version        integer not null,
  payload        jsonb not null,
  correlation_id text,
  occurred_at    timestamptz not null default now(),
  -- A relay claims rows for a lease instead of holding a transaction while the bus works;
  -- a relay that dies mid-way lets its lease run out and another one takes the rows.
  claimed_until  timestamptz,
  published_at   timestamptz
);
create index outbox_unpublished on ${s}.outbox (seq) where published_at is null;
create index outbox_published_at on ${s}.outbox (published_at) where published_at is not null;

create table ${s}.inbox (
  consumer     text not null,
  event_id     uuid not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
-- The relay's retention cleanup deletes by age.
create index inbox_processed_at on ${s}.inbox (processed_at);

-- NOTIFY is transactional: the relay wakes up when the writing transaction commits, never before.
create function ${s}.outbox_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('evently_outbox', ${quoteLiteral(schema)});
  return null;
end $$;
create trigger outbox_notify after insert on ${s}.outbox
  for each statement execute function ${s}.outbox_notify();
`;
}

export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid SQL identifier ${name}`);
  return `"${name}"`;
}

function quoteLiteral(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}
