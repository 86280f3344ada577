import { fileURLToPath } from 'node:url';
import { defineModule } from '../../kernel/index.js';
import { devMailboxRoutes } from './dev-mailbox.routes.js';
import { createMailer } from './mailer.js';
import { mailConsumer, SEND_EMAIL_JOB } from './mail.consumer.js';
import { mailSettings, type MailConfig } from './mail.settings.js';
import { mailSweepTask } from './mail.sweep.js';
import type { DB as NotificationsTables } from './notifications.tables.js';
import { attendeesConsumer, catalogueConsumer } from './projections.consumer.js';
import { recipientsConsumer } from './recipients.consumer.js';
import { sendEmailJob } from './send-email.job.js';

export type { MailConfig } from './mail.settings.js';

/** Mails in flight per process (no database connection is held while one talks to the server). */
const SEND_CONCURRENCY = 5;

/**
 * The email worker (SPEC §7): auth, booking, waitlist and catalogue events in, one durable mail job
 * per (event, recipient, template) out, sent over SMTP and/or kept in the dev mailbox. Recipients,
 * events and attendees come from its own projections of auth, events and bookings messages, never
 * from their tables.
 */
export const notificationsModule = defineModule<MailConfig, NotificationsTables>({
  name: 'notifications',
  description: 'Email worker: turns events into emails',
  schema: 'notifications',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  settings: mailSettings,

  create(ctx) {
    const mailer = createMailer(ctx.config);
    if (!mailer && ctx.platform.roles.includes('worker')) {
      // Mail that can go nowhere would pile up unseen; better to refuse to start.
      throw new Error('notifications: mail has nowhere to go: set SMTP_URL (or EVENTLY_DEV_MAILBOX=true outside production)');
    }
    return {
      routes(app) {
        if (ctx.config.devMailbox) devMailboxRoutes(app, ctx.db);
      },
      // Projections first: the mail consumer reads the attendees of an event whose time or place changed.
      consumers: [recipientsConsumer(ctx.logger), catalogueConsumer(ctx.logger), attendeesConsumer(ctx.logger), mailConsumer(ctx.jobs, ctx.logger)],
      jobs: mailer ? [{ name: SEND_EMAIL_JOB, handler: sendEmailJob({ transaction: ctx.transaction, mailer, logger: ctx.logger, sealer: ctx.sealer }), concurrency: SEND_CONCURRENCY }] : [],
      tasks: [mailSweepTask({ db: ctx.db, jobs: ctx.jobs, logger: ctx.logger })],
    };
  },
});
