import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>` for SMTP_URL. */
  url: string;
  received: ReceivedMail[];
  /** The first mail to `to` (and matching `subject`) that arrives, waiting for it if needed. */
  mailTo(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  /** While refusing, every message is answered with a temporary failure (451). */
  refuse(refusing: boolean): void;
  close(): Promise<void>;
}

const recipient = (mail: ParsedMail): string => {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  return to?.value[0]?.address ?? '';
};

/** A real SMTP server in the test process: the service sends to it over TCP. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  let refusing = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      if (refusing) {
        stream.resume();
        stream.on('end', () => done(Object.assign(new Error('try later'), { responseCode: 451 })));
        return;
      }
      simpleParser(stream)
        .then((mail) => {
          received.push({
            to: recipient(mail),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
          });
          done();
        })
        .catch((error: Error) => done(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    async mailTo(to, subject, timeoutMs = 10_000) {
      const started = Date.now();
      for (;;) {
        const mail = received.find(
          (candidate) => candidate.to === to && (!subject || subject.test(candidate.subject)),
        );
        if (mail) return mail;
        if (Date.now() - started > timeoutMs)
          throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    refuse(value) {
      refusing = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token in the first link of a mail's text (`...?token=<token>`). */
export function tokenIn(mail: ReceivedMail): string {
  const match = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match?.[1]) throw new Error(`no token link in mail "${mail.subject}"`);
  return match[1];
}
