-- At most once over SMTP: a job commits a claim (status 'sending', claim_id, claimed_at) before it
-- talks to the server and marks the row sent afterwards, in a short transaction of its own. A row
-- found 'sending' by a later run was interrupted with an unknown outcome and is never sent again.
alter table notifications.mail_log drop constraint mail_log_status_check;
alter table notifications.mail_log add constraint mail_log_status_check
  check (status in ('queued', 'sending', 'sent', 'failed'));
alter table notifications.mail_log add column claim_id uuid, add column claimed_at timestamptz;
-- The sweep gives up on claims left behind by a run that died while sending.
create index mail_log_sending on notifications.mail_log (claimed_at) where status = 'sending';
