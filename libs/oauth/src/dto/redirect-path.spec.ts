import { isRedirectPath } from './redirect-path';

describe('isRedirectPath', () => {
  it.each(['/', '/dashboard', '/settings/security?tab=2#top', '/a%2Fb', '/@user', '/search?q=hello%20world', '/%C3%A9t%C3%A9'])(
    'accepts the path %j',
    (value) => {
      expect(isRedirectPath(value)).toBe(true);
    },
  );

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
    '/%2F%2Fevil.example',
    '/%2f%2fevil.example',
    '/%5Cevil.example',
    '/%252F%252Fevil.example',
    '/a%0d%0aSet-Cookie:x',
    '/%09/evil.example',
    '/%E0%A4%A',
    `/${'a'.repeat(2048)}`,
    42,
    null,
    undefined,
  ])('refuses %j', (value) => {
    expect(isRedirectPath(value)).toBe(false);
  });
});
