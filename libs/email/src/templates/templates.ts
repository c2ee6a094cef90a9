/** The mails this product sends, each with a text and an HTML part. */
export type MailTemplate =
  | { template: 'verify_email'; vars: { link: string; name: string | null; hours: number } }
  | { template: 'reset_password'; vars: { link: string; name: string | null; minutes: number } }
  | { template: 'password_changed'; vars: { name: string | null; when: string; via: 'change' | 'reset' } };

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout(title: string, paragraphs: string[], action?: { label: string; link: string }): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${escape(p)}</p>`).join('');
  const button = action
    ? `<p style="margin:24px 0"><a href="${escape(action.link)}" style="background:#1f6feb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none">${escape(action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#555">Or paste this link into your browser:<br>${escape(action.link)}</p>`
    : '';
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#222;max-width:560px;margin:auto;padding:24px"><h1 style="font-size:20px">${escape(title)}</h1>${body}${button}</body></html>`;
}

const greeting = (name: string | null) => (name ? `Hello ${name},` : 'Hello,');

export function render(mail: MailTemplate): RenderedMail {
  switch (mail.template) {
    case 'verify_email': {
      const { link, name, hours } = mail.vars;
      const lines = [
        greeting(name),
        'Please confirm your email address to finish setting up your account.',
        `The link works once and expires in ${hours} hours. If you did not create an account, ignore this mail.`,
      ];
      return {
        subject: 'Confirm your email address',
        text: `${lines.join('\n\n')}\n\nConfirm: ${link}\n`,
        html: layout('Confirm your email address', lines, { label: 'Confirm email', link }),
      };
    }
    case 'reset_password': {
      const { link, name, minutes } = mail.vars;
      const lines = [
        greeting(name),
        'Someone asked to reset the password of your account.',
        `The link works once and expires in ${minutes} minutes. If it was not you, ignore this mail: your password stays as it is.`,
      ];
      return {
        subject: 'Reset your password',
        text: `${lines.join('\n\n')}\n\nReset: ${link}\n`,
        html: layout('Reset your password', lines, { label: 'Choose a new password', link }),
      };
    }
    case 'password_changed': {
      const { name, when, via } = mail.vars;
      const lines = [
        greeting(name),
        `The password of your account was ${via === 'reset' ? 'reset' : 'changed'} on ${when}. ${via === 'reset' ? 'Every session was signed out.' : 'Your other sessions were signed out.'}`,
        'If this was not you, reset your password now and contact support.',
      ];
      return { subject: 'Your password was changed', text: `${lines.join('\n\n')}\n`, html: layout('Your password was changed', lines) };
    }
  }
}
