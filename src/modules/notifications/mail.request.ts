import type { TemplateName } from './mail.templates.js';

/** One mail an event asks for. */
export interface MailRequest {
  user_id: string;
  template: TemplateName;
  /** The address the event carried, if any; else the recipients projection's when it is sent. */
  to_email: string | null;
  data: Record<string, unknown>;
  /** What the mail's key names instead of the message's id (one mail for several messages). */
  key_event_id?: string;
}
