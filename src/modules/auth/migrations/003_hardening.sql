-- Clients (an IPv4 address, or an IPv6 /64) an account signed in from. They do not spend the
-- account's softer failure limits, so strangers failing from elsewhere cannot lock its owner out.
create table auth.known_clients (
  user_id    uuid not null references auth.users (id) on delete cascade,
  client     text not null,
  last_seen  timestamptz not null default now(),
  primary key (user_id, client)
);
create index known_clients_last_seen on auth.known_clients (last_seen);

-- The account the bootstrap (EVENTLY_ADMIN_EMAIL) created: changes to it since were made by an admin,
-- deliberately; an account with that email the bootstrap did not create is a squatter.
alter table auth.users add column bootstrapped_at timestamptz;
