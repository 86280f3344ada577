import { uuidv7 } from 'uuidv7';

/** Time-ordered, opaque public ids (UUIDv7): index-friendly and unguessable enough for ids. */
export function newId(): string {
  return uuidv7();
}
