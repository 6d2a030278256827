import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildConfiguration, type Configuration } from '../config/configuration.js';
import { MailService, unsafeHeader, type MailMessage } from './mail.service.js';

const message = (changes: Partial<MailMessage> = {}): MailMessage => ({
  to: 'alice@example.com',
  subject: 'Your password was changed',
  text: 'Line one.\n\nLine two.',
  html: '<p>Line one.</p>',
  ...changes,
});

describe('unsafeHeader', () => {
  it('names the header that would carry a line break or a control character', () => {
    const from = 'Whazz Audio <no-reply@whazz.audio>';
    expect(unsafeHeader(message(), from)).toBeUndefined();
    expect(unsafeHeader(message({ to: 'a@example.com\r\nBcc: x@else.test' }), from)).toBe('to');
    expect(unsafeHeader(message({ subject: 'Hi\nBcc: x@else.test' }), from)).toBe('subject');
    expect(unsafeHeader(message({ subject: 'Hi\u2028there' }), from)).toBe('subject');
    expect(unsafeHeader(message({ to: 'a\u0085@example.com' }), from)).toBe('to');
    expect(unsafeHeader(message(), `${from}\r\nBcc: x@else.test`)).toBe('from');
  });
});

describe('MailService writing to the outbox', () => {
  let outbox: string;
  let mail: MailService;
  beforeEach(async () => {
    outbox = await mkdtemp(join(tmpdir(), 'whazz-mail-spec-'));
    mail = new MailService(
      new ConfigService<Configuration, true>(buildConfiguration({ MAIL_OUTBOX_DIR: outbox })),
    );
  });
  afterEach(() => rm(outbox, { recursive: true, force: true }));

  it('writes a mail as its three header lines, a blank line and the text', async () => {
    mail.send(message());
    await mail.settled();
    const [file] = await readdir(outbox);
    expect(await readFile(join(outbox, file!), 'utf8')).toBe(
      'From: Whazz Audio <no-reply@whazz.audio>\nTo: alice@example.com\n' +
        'Subject: Your password was changed\n\nLine one.\n\nLine two.\n',
    );
  });

  it('drops a mail whose header would break its line, and logs it without the address', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    mail.send(message({ to: 'x\r\nbcc: someone@else.test@example.com' }));
    await mail.settled();
    expect(await readdir(outbox)).toEqual([]);
    expect(logged).toHaveBeenCalledWith(
      expect.objectContaining({ header: 'to', to: 'x***@example.com' }),
    );
    logged.mockRestore();
  });
});
