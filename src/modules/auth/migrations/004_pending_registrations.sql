-- Self-service sign-ups waiting for the mailed code. The account (auth.users, with this id) exists
-- only once the address is proven, so a registration can neither take over nor reveal an account:
-- one pending registration per address (the latest replaces it), its username reserved meanwhile.
create table auth.registrations (
  id             uuid primary key,
  email          text not null unique,
  username       text not null unique,
  full_name      text,
  password_hash  text not null,
  created_at     timestamptz not null default now(),
  expires_at     timestamptz not null
);
create index registrations_expires_at on auth.registrations (expires_at);

-- Codes belong to an account or to a pending registration (whose id the account takes), so the
-- reference to auth.users goes; deleting a user deletes its codes explicitly.
alter table auth.otps drop constraint otps_user_id_fkey;
-- The live code, sealed for the mailer, so asking again re-sends it instead of replacing the code
-- its owner may be typing. Cleared once the code is used or ended.
alter table auth.otps add column code_sealed text;

-- EVENTLY_ADMIN_* is applied once per database: afterwards the admin accounts are the admins'
-- business, and no start creates, refuses or repairs anything. (It replaces marking the account the
-- start made, which 003 added.)
create table auth.admin_bootstrap (
  singleton  boolean primary key default true check (singleton),
  email      text,
  done_at    timestamptz not null default now()
);
insert into auth.admin_bootstrap (email)
  select email from auth.users where bootstrapped_at is not null order by created_at limit 1;
alter table auth.users drop column bootstrapped_at;
