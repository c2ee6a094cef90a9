import { applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { ApiSuccessHeaders, type DocumentedHeader } from '@app/common';
import { AUTH_COOKIE_PATH, CSRF_COOKIE, REFRESH_COOKIE } from './auth-cookies';

const CSRF_VALUE = `the ${CSRF_COOKIE} value (an app on another origin cannot read the cookie), to send back as X-CSRF-Token`;

/** What the success answer of a cookie-mode route does with the cookies (OpenAPI response headers). */
export const COOKIE_ANSWERS = {
  /** login, refresh, OAuth exchange in cookie mode */
  issued: {
    'Set-Cookie': {
      description:
        `Cookie mode only: \`${REFRESH_COOKIE}\` (HttpOnly, SameSite=Strict, Path=${AUTH_COOKIE_PATH}, Max-Age = refresh lifetime; ` +
        `Secure unless development/test over http) and the readable \`${CSRF_COOKIE}\` (Path=/)`,
    },
    'X-CSRF-Token': { description: `Cookie mode only: ${CSRF_VALUE}` },
  },
  /** logout, logout-all when the refresh cookie came (or X-Auth-Mode: cookie) */
  cleared: {
    'Set-Cookie': { description: `Cookie mode only: \`${REFRESH_COOKIE}\` and \`${CSRF_COOKIE}\` expired (cleared)` },
  },
  /** GET /auth/csrf */
  csrf: {
    'Set-Cookie': { description: `\`${CSRF_COOKIE}\` (readable, Path=/), bound to the session of the ${REFRESH_COOKIE} cookie` },
    'X-CSRF-Token': { description: `Also ${CSRF_VALUE}` },
  },
} satisfies Record<string, Record<string, DocumentedHeader>>;

/**
 * OpenAPI of a route that honours `X-Auth-Mode: cookie` (API.md "Browser clients"): the request
 * header as an enum, what the answer does with the cookies and, for routes a cookie can
 * authenticate (`csrf`), the X-CSRF-Token request header.
 */
export function ApiCookieMode(answer: 'issued' | 'cleared', options: { csrf?: boolean } = {}) {
  const decorators = [
    ApiHeader({
      name: 'X-Auth-Mode',
      required: false,
      enum: ['cookie'],
      description: `\`cookie\`: the refresh token travels as the HttpOnly \`${REFRESH_COOKIE}\` cookie (plus a readable \`${CSRF_COOKIE}\` cookie) instead of in the body`,
    }),
    ApiSuccessHeaders(COOKIE_ANSWERS[answer]),
  ];
  if (options.csrf) {
    decorators.push(
      ApiHeader({
        name: 'X-CSRF-Token',
        required: false,
        description: `required, equal to the ${CSRF_COOKIE} cookie, when the ${REFRESH_COOKIE} cookie is used`,
      }),
    );
  }
  return applyDecorators(...decorators);
}
