import { Value } from 'typebox/value';
import { EmailAddress } from '../contracts/common.js';

export { EmailAddress };

export function isEmailAddress(value: string): boolean {
  return Value.Check(EmailAddress, value);
}
