import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Configuration } from '../config/configuration.js';
import type { MailConfig } from './mail.config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Waits before each retry; the last failure is logged as lost. About 12 minutes in all. */
const RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000];
// A mail server that accepts the connection and then says nothing must not hold a send forever.
const SMTP_TIMEOUT_MS = 15_000;

/**
 * What may never reach a header line: a control character (CR and LF end a header and start
 * an injected one), or a Unicode line or paragraph separator.
 */
const HEADER_BREAKER = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** The header of `message` that would carry a line break, if any (issue 18 point 5). */
export function unsafeHeader(message: MailMessage, from: string): string | undefined {
  const headers: Record<string, string> = { from, to: message.to, subject: message.subject };
  return Object.keys(headers).find((name) => HEADER_BREAKER.test(headers[name]!));
}

/** `alice@example.com` → `a***@example.com`: enough to follow a mail in the log, no more. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return at <= 0 ? '***' : `${address[0]}***${address.slice(at)}`;
}

/**
 * Sends mail without ever holding up or failing the request that caused it: `send()`
 * queues and returns; delivery is retried with growing delays, and a mail that cannot be
 * delivered is logged (recipient masked, never the body: it may hold a token).
 * Without SMTP_URL, each mail is written to the outbox folder for a developer to open.
 */
@Injectable()
export class MailService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly settings: MailConfig;
  private readonly transport?: Transporter;
  private readonly pending = new Set<Promise<void>>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private written = 0;

  constructor(config: ConfigService<Configuration, true>) {
    this.settings = config.get('mail', { infer: true });
    if (this.settings.smtpUrl) {
      this.transport = nodemailer.createTransport({
        url: this.settings.smtpUrl,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
      });
    }
  }

  /** A link into the app that shows the verify and reset pages. */
  link(path: string, token: string): string {
    return `${this.settings.publicUrl}${path}?token=${token}`;
  }

  /**
   * Accounts only hold validated addresses; this is the second line: a header that would
   * break its line is never written to the outbox nor handed to SMTP, and the mail is dropped.
   */
  send(message: MailMessage): void {
    const header = unsafeHeader(message, this.settings.from);
    if (header) {
      this.logger.error({
        msg: 'mail refused: a header would carry a line break or control character',
        header,
        to: maskAddress(message.to),
      });
      return;
    }
    this.attempt(message, 0);
  }

  /** Resolves once every queued mail has been delivered, written or given a retry. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  onApplicationBootstrap(): void {
    if (!this.transport) {
      this.logger.warn(
        `SMTP_URL is not set: mail is written to ${resolve(this.settings.outboxDirectory)} instead of being sent`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.settled();
    for (const timer of this.retryTimers) clearTimeout(timer);
    if (this.retryTimers.size > 0) {
      this.logger.error(`${this.retryTimers.size} mail(s) awaiting a retry were lost at shutdown`);
    }
    this.transport?.close();
  }

  private attempt(message: MailMessage, failures: number): void {
    const delivery = this.deliver(message)
      .then((where) =>
        this.logger.log({
          msg: 'mail sent',
          to: maskAddress(message.to),
          subject: message.subject,
          where,
        }),
      )
      .catch((error: unknown) => this.retryLater(message, failures, error))
      .finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  private retryLater(message: MailMessage, failures: number, error: unknown): void {
    const delay = RETRY_DELAYS_MS[failures];
    // SMTP replies often quote the recipient ("550 <alice@…> rejected"): masked too.
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /[^\s<>"'@]+@[^\s<>"']+/g,
      maskAddress,
    );
    const to = maskAddress(message.to);
    if (delay === undefined) {
      this.logger.error({
        msg: 'mail could not be delivered; giving up',
        to,
        subject: message.subject,
        reason,
      });
      return;
    }
    this.logger.warn({ msg: 'mail delivery failed; will retry', to, retry_in_ms: delay, reason });
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.attempt(message, failures + 1);
    }, delay);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private async deliver(message: MailMessage): Promise<string> {
    if (this.transport) {
      await this.transport.sendMail({ ...message, from: this.settings.from });
      return 'smtp';
    }
    return this.writeToOutbox(message);
  }

  private async writeToOutbox({ to, subject, text }: MailMessage): Promise<string> {
    await mkdir(this.settings.outboxDirectory, { recursive: true });
    this.written += 1;
    // Sorts by time, then by order within this process.
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${String(this.written).padStart(6, '0')}.txt`;
    const file = join(this.settings.outboxDirectory, name);
    await writeFile(
      file,
      `From: ${this.settings.from}\nTo: ${to}\nSubject: ${subject}\n\n${text}\n`,
      {
        mode: 0o600,
      },
    );
    return resolve(file);
  }
}
