import { sql } from 'kysely';
import { newId, type Executor } from '../../kernel/index.js';

export interface DevMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  template: string;
  created_at: Date;
}

export async function storeDevMail(db: Executor, mail: Omit<DevMail, 'id' | 'created_at'>): Promise<string> {
  const id = newId();
  await sql`insert into notifications.dev_mailbox (id, "to", subject, text, html, template)
    values (${id}, ${mail.to}, ${mail.subject}, ${mail.text}, ${mail.html}, ${mail.template})`.execute(db);
  return id;
}

/** Newest first; `to` matches case-insensitively, as mail addresses do in practice. */
export async function listDevMail(db: Executor, filter: { to?: string; limit: number }): Promise<DevMail[]> {
  const where = filter.to === undefined ? sql`` : sql`where lower("to") = lower(${filter.to})`;
  const { rows } = await sql<DevMail>`
    select id, "to", subject, text, html, template, created_at from notifications.dev_mailbox
    ${where} order by created_at desc, id desc limit ${filter.limit}`.execute(db);
  return rows;
}
