-- Every event about a user or a session carries the row's version, so a consumer's projection
-- applies "newer version wins" whatever order the events arrive in. Each change of the row bumps it.
alter table auth.users add column version integer not null default 1 check (version > 0);
alter table auth.sessions add column version integer not null default 1 check (version > 0);
