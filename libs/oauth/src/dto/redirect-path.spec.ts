import { isRedirectPath } from './redirect-path';

describe('isRedirectPath', () => {
  it.each(['/', '/dashboard', '/settings/security?tab=2#top', '/a%2Fb', '/@user'])('accepts the path %j', (value) => {
    expect(isRedirectPath(value)).toBe(true);
  });

  it.each([
    '',
    'dashboard',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '/ok path',
    '/line\nbreak',
    '/tab\there',
    `/${'a'.repeat(2048)}`,
    42,
    null,
    undefined,
  ])('refuses %j', (value) => {
    expect(isRedirectPath(value)).toBe(false);
  });
});
