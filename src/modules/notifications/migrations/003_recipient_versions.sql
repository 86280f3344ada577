-- The projection keeps the version of the user it last applied: auth's events carry the whole user
-- and its version, so "newer version wins" replaces the per-field event times.
alter table notifications.recipients add column version integer not null default 0;
alter table notifications.recipients drop column email_at, drop column name_at;
