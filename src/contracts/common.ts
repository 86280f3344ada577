import { Type } from 'typebox';

/**
 * One mailbox, nothing else: a list ("a@x, b@y"), a display name ("<a@x>"), a quoted local part or a
 * control character would let one field reach several recipients once a mailer parses it, or fail
 * in the database. Auth accepts exactly what notifications can mail, so no account is unreachable.
 */
const SINGLE_ADDRESS = '^[^\\s,;<>"()\\[\\]\\\\\\u0000-\\u001f\\u007f]+$';

export const EmailAddress = Type.String({ format: 'email', pattern: SINGLE_ADDRESS, maxLength: 254 });
export const Uuid = Type.String({ format: 'uuid' });
export const Time = Type.String({ format: 'date-time' });
/** The version of the row an event is about: bumped by each change, so the newer one always wins. */
export const EntityVersion = Type.Integer({ minimum: 1 });
