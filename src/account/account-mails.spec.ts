import { describe, expect, it } from 'vitest';
import { accountMails } from './account-mails.js';

describe('accountMails', () => {
  it('never lets an address in a notice start a line or hide text', () => {
    const hostile = 'x\r\nbcc: someone@else.test\u2028\u200b@example.com';
    for (const mail of [
      accountMails.emailChangeRequested('alice@example.com', hostile),
      accountMails.emailChanged('alice@example.com', hostile),
    ]) {
      expect(mail.text).toContain('x\ufffd\ufffdbcc: someone@else.test\ufffd\ufffd@example.com');
      expect(mail.text).not.toMatch(/^bcc/im);
      expect(mail.html).not.toMatch(/[\r\u2028\u200b]/);
    }
  });
});
