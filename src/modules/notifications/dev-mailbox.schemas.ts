import { Type, type Static } from 'typebox';
import { StrictObject } from '../../kernel/index.js';

export const DevMailboxQuery = StrictObject({
  to: Type.Optional(Type.String({ minLength: 1, maxLength: 320, pattern: '^[^\\u0000]+$', description: 'Only mail to this address (case-insensitive)' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'At most this many messages, newest first' }),
});
export type DevMailboxQuery = Static<typeof DevMailboxQuery>;

export const DevMail = Type.Object({
  id: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  template: Type.String(),
  attachments: Type.Array(Type.Object({ filename: Type.String(), contentType: Type.String(), content: Type.String() }), { description: 'Files sent with it (a confirmed booking\'s calendar entry)' }),
  created_at: Type.String({ format: 'date-time' }),
});

export const DevMailboxResponse = Type.Object({ items: Type.Array(DevMail) });
export type DevMailboxResponse = Static<typeof DevMailboxResponse>;
