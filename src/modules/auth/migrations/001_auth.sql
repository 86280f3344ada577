-- Accounts. Email and username are stored normalised (lower-case), so plain unique indexes make
-- duplicates impossible even under concurrent registrations.
create table auth.users (
  id              uuid primary key,
  email           text not null unique,
  username        text not null unique,
  full_name       text,
  password_hash   text not null,
  role            text not null default 'user',
  is_verified     boolean not null default false,
  is_active       boolean not null default true,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  verified_at     timestamptz
);
-- Admin search by email, username or name fragment.
create extension if not exists pg_trgm with schema public;
create index users_search on auth.users using gin ((email || ' ' || username || ' ' || coalesce(full_name, '')) public.gin_trgm_ops);

-- A login. Its refresh tokens rotate; the session ends when revoked, idle too long or too old.
create table auth.sessions (
  id              uuid primary key,
  user_id         uuid not null references auth.users (id) on delete cascade,
  created_at      timestamptz not null default now(),
  last_used_at    timestamptz not null default now(),
  expires_at      timestamptz not null,
  revoked_at      timestamptz,
  revoked_reason  text,
  user_agent      text,
  ip              text
);
create index sessions_user on auth.sessions (user_id, created_at desc);
create index sessions_cleanup on auth.sessions (expires_at);
-- At start, recent revocations are reloaded into the revocation list (it may live in memory).
create index sessions_revoked on auth.sessions (revoked_at) where revoked_at is not null;
-- …and from the revocation events, which outlive the session rows of a deleted user.
create index outbox_revocations on auth.outbox (occurred_at) where type = 'auth.session.revoked';

-- Every refresh token ever issued for a session, by SHA-256 (the token itself is never stored).
-- used_at set = rotated: presenting it again is reuse and ends the session.
create table auth.refresh_tokens (
  token_hash      bytea primary key,
  session_id      uuid not null references auth.sessions (id) on delete cascade,
  created_at      timestamptz not null default now(),
  used_at         timestamptz
);
create index refresh_tokens_session on auth.refresh_tokens (session_id);

-- One-time codes (email verification, password reset), Argon2id-hashed. attempts counts every
-- guess; the guard `attempts < max` sits in the UPDATE that counts, so parallel guesses cannot pass it.
create table auth.otps (
  id              uuid primary key,
  user_id         uuid not null references auth.users (id) on delete cascade,
  purpose         text not null check (purpose in ('verify_email', 'reset_password')),
  code_hash       text not null,
  attempts        integer not null default 0,
  expires_at      timestamptz not null,
  consumed_at     timestamptz,
  created_at      timestamptz not null default now()
);
create index otps_live on auth.otps (user_id, purpose, created_at desc) where consumed_at is null;

-- Development only: the signing key generated when AUTH_SIGNING_KEY is not set, shared by replicas.
-- The single-row check makes concurrent first starts agree on one key.
create table auth.dev_signing_key (
  id              smallint primary key default 1 check (id = 1),
  private_pem     text not null,
  created_at      timestamptz not null default now()
);
