import { sql } from 'kysely';
import { newId, type Executor } from '../../kernel/index.js';
import type { Attachment } from './mail.base.js';

export interface DevMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  template: string;
  attachments: Attachment[];
  created_at: Date;
}

export async function storeDevMail(db: Executor, mail: Omit<DevMail, 'id' | 'created_at' | 'attachments'> & { attachments?: Attachment[] }): Promise<string> {
  const id = newId();
  await sql`insert into notifications.dev_mailbox (id, "to", subject, text, html, template, attachments)
    values (${id}, ${mail.to}, ${mail.subject}, ${mail.text}, ${mail.html}, ${mail.template}, ${JSON.stringify(mail.attachments ?? [])}::jsonb)`.execute(db);
  return id;
}

/** Newest first; `to` matches case-insensitively, as mail addresses do in practice. */
export async function listDevMail(db: Executor, filter: { to?: string; limit: number }): Promise<DevMail[]> {
  const where = filter.to === undefined ? sql`` : sql`where lower("to") = lower(${filter.to})`;
  const { rows } = await sql<DevMail>`
    select id, "to", subject, text, html, template, attachments, created_at from notifications.dev_mailbox
    ${where} order by created_at desc, id desc limit ${filter.limit}`.execute(db);
  return rows;
}
