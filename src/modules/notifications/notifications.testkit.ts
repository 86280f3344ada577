import { sql } from 'kysely';
import { AUTH_EVENTS, type AuthEventType } from '../../contracts/auth.js';
import { createOutbox, loadSealer, type DomainEvent, type Sealer } from '../../kernel/index.js';
import type { TestEvently } from '../../../test/support/evently.js';

/** Test helpers of the notifications suites (not a test file itself). */

export { startTestSmtp, type TestSmtp, type ReceivedMail } from '../../../test/support/smtp.js';

/** What a test leaves out of a user event's payload (the contract needs the whole user). */
const USER_DEFAULTS = { username: 'someone', full_name: null, role: 'user', is_active: true, is_verified: false, entity_version: 1 };
const DEFAULTS: Partial<Record<AuthEventType, Record<string, unknown>>> = {
  'auth.user.registered': USER_DEFAULTS,
  'auth.user.updated': { ...USER_DEFAULTS, changed: ['email'] },
  'auth.user.verified': { ...USER_DEFAULTS, is_verified: true },
  'auth.user.deleted': { entity_version: 2 },
  'auth.otp.requested': { purpose: 'verify_email', entity_version: 1 },
  'auth.password_reset.requested': { entity_version: 1 },
};

/**
 * Writes an auth event the way auth does (its outbox, in a transaction, at its contract's payload
 * version) and lets the relay and the bus deliver it; fields of the contract the test leaves out
 * get plain defaults. `version` writes it at an older payload version, exactly as `given`.
 */
export async function emitAuthEvent(t: TestEvently, type: AuthEventType, given: Record<string, unknown>, o: { version?: number } = {}): Promise<DomainEvent> {
  let payload: Record<string, unknown> = o.version === undefined ? { ...DEFAULTS[type], ...given } : { ...given };
  // A plain `otp` is sealed as auth seals it, so tests can still write the digits they expect.
  if (typeof payload.otp === 'string') {
    const { otp, ...rest } = payload;
    payload = { ...rest, otp_sealed: await (await sealerOf(t)).seal(otp as string) };
  }
  return t.evently.database.transaction(async (trx) => {
    const [event] = await createOutbox('auth', t.evently.outboxSignal).add(trx, { type, version: o.version ?? AUTH_EVENTS[type].version, payload });
    return event!;
  });
}

export interface MailLogView {
  status: string;
  attempts: number;
  last_error: string | null;
  message_id: string | null;
  data: Record<string, unknown>;
  template: string;
}

export async function mailLogOf(t: TestEvently, eventId: string): Promise<MailLogView[]> {
  const { rows } = await sql<MailLogView>`select status, attempts, last_error, message_id, data, template
    from notifications.mail_log where event_id = ${eventId}`.execute(t.evently.database.db);
  return rows;
}

export async function devMailTo(t: TestEvently, to: string): Promise<{ subject: string; text: string; html: string; template: string }[]> {
  const res = await t.evently.app.inject({ method: 'GET', url: `/dev/mailbox?to=${encodeURIComponent(to)}` });
  if (res.statusCode !== 200) throw new Error(`GET /dev/mailbox answered ${res.statusCode}`);
  return (res.json() as { items: { subject: string; text: string; html: string; template: string }[] }).items;
}

/** The sealer of a running test app (the same EVENT_SEALING_KEY). */
export function sealerOf(t: TestEvently): Promise<Sealer> {
  return loadSealer(t.config, t.evently.logger);
}
