import { render } from './templates';

describe('mail templates', () => {
  it('put the link in both parts and escape HTML', () => {
    const mail = render({ template: 'verify_email', vars: { link: 'http://api.test/v?token=a&b', name: '<Ada>', hours: 24 } });
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.text).toContain('http://api.test/v?token=a&b');
    expect(mail.text).toContain('24 hours');
    expect(mail.html).toContain('http://api.test/v?token=a&amp;b');
    expect(mail.html).toContain('&lt;Ada&gt;');
    expect(mail.html).not.toContain('<Ada>');
  });

  it('renders the reset and notice mails', () => {
    expect(render({ template: 'reset_password', vars: { link: 'L', name: null, minutes: 60 } }).text).toContain('60 minutes');
    const notice = render({ template: 'password_changed', vars: { name: null, when: '2026-01-01 10:00 UTC', via: 'reset' } });
    expect(notice.text).toContain('reset on 2026-01-01 10:00 UTC');
    expect(notice.html).toContain('Every session was signed out');
  });
});
