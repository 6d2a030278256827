import type { MailMessage } from './mail.service.js';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);

/**
 * A value put inside a sentence: the addresses it carries are validated, but should one ever
 * hold a line break or an invisible character, it shows as U+FFFD instead of starting a
 * paragraph of someone else's words in our mail (issue 18 point 5).
 */
export const inline = (value: string) => value.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '\ufffd');

export interface Action {
  label: string;
  url: string;
}

export const NOT_YOU =
  'If this was not you, change your password now and contact support: someone may know it.';

/** One plain-text and one HTML body from the same paragraphs, so the two never disagree. */
export function compose(
  to: string,
  subject: string,
  paragraphs: string[],
  action?: Action,
): MailMessage {
  const textParts = action
    ? [paragraphs[0]!, `${action.label}: ${action.url}`, ...paragraphs.slice(1)]
    : paragraphs;
  const htmlParts = paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`);
  if (action) {
    htmlParts.splice(
      1,
      0,
      `<p><a href="${escapeHtml(action.url)}">${escapeHtml(action.label)}</a></p>`,
    );
  }
  return {
    to,
    subject,
    text: `${textParts.join('\n\n')}\n\n-- Whazz Audio\n`,
    html: `<!doctype html><html><body>${htmlParts.join('')}<p>Whazz Audio</p></body></html>`,
  };
}
