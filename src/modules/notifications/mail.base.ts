import type { EventDetails } from './catalogue.repository.js';

/**
 * What every template shares. Every value that comes from a user (names, titles, venues, reasons)
 * or from another service goes through `escapeHtml` in the HTML part; subjects carry no user data
 * at all, so no header can be shaped by a user.
 */
export interface Attachment {
  filename: string;
  contentType: string;
  content: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  attachments?: Attachment[];
}

/** What the job knows when it renders: the greeting name (may be unknown) and the row's data. */
export interface TemplateInput {
  name: string | null;
  data: Record<string, unknown>;
  /** The event the mail is about (from the module's projection), for the booking and event mails. */
  event?: EventDetails;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** A template whose data lacks a field cannot be sent, now or on a retry. */
export class TemplateDataError extends Error {
  override name = 'TemplateDataError';
}

export function field(data: Record<string, unknown>, key: string): string {
  const value = data[key];
  if (typeof value !== 'string' && typeof value !== 'number') throw new TemplateDataError(`template data has no ${key}`);
  return String(value);
}

/** The shared HTML frame; `body` is already-escaped HTML. */
export function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body style="font-family:sans-serif;line-height:1.5">${body}<p style="color:#777">— Evently</p></body></html>`;
}

export function greeting(name: string | null): { text: string; html: string } {
  return name ? { text: `Hi ${name},`, html: `<p>Hi ${escapeHtml(name)},</p>` } : { text: 'Hi,', html: '<p>Hi,</p>' };
}

