import { createHmac, hkdfSync } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { API_PATH, generateToken, safeEqual, sha256 } from '@app/common';
import { isMfaRequired, type IssuedTokens, type SignInOutcome } from './auth.service';
import type { MfaChallengeDto, TokenPairDto } from './dto/auth.dto';
import { SessionsErrors } from '@app/sessions';
import { AuthErrors } from './errors';

export const REFRESH_COOKIE = 'refresh_token';
export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
export const AUTH_MODE_HEADER = 'x-auth-mode';
export const AUTH_COOKIE_PATH = `${API_PATH}/auth`;

/** Every cookie this API sets is `Secure`, except outside production over plain http (development, tests). */
export function cookiesSecure(config: AppConfig): boolean {
  const devOverHttp = config.app.nodeEnv !== 'production' && config.app.publicUrl.startsWith('http://');
  return !devOverHttp;
}

/**
 * Sets a cookie with a lifetime the way Express's `res.cookie` wrote it (the Set-Cookie lines
 * stay what they were): `Max-Age` in whole seconds *and* `Expires`. @fastify/cookie takes
 * `maxAge` in seconds and adds no `Expires` of its own.
 */
export function setTimedCookie(res: FastifyReply, name: string, value: string, options: CookieSerializeOptions, maxAgeMs: number): void {
  res.setCookie(name, value, { ...options, maxAge: Math.floor(maxAgeMs / 1000), expires: new Date(Date.now() + maxAgeMs) });
}

/** Clears a cookie as Express's `res.clearCookie` did: empty value, `Expires` in 1970, no `Max-Age`. */
export function expireCookie(res: FastifyReply, name: string, options: CookieSerializeOptions): void {
  res.setCookie(name, '', { ...options, expires: new Date(1) });
}

/**
 * Cookie mode for browser apps (API.md "Browser clients"): the refresh token travels only in an
 * HttpOnly, SameSite=Strict cookie scoped to /api/v1/auth; a readable csrf_token cookie (also
 * sent as the X-CSRF-Token response header, for apps on another origin that cannot read the
 * API's cookies) must be echoed in X-CSRF-Token whenever the cookie authenticates a request.
 *
 * The CSRF token is bound to the session server-side: `<nonce>.<HMAC(key, refresh token hash,
 * nonce)>`, keyed by a key derived from JWT_SECRET. A double-submit check alone passes for any
 * value an attacker manages to plant in both places (a cookie set from a sibling subdomain);
 * this one passes only for a token this server issued for the session's current refresh token.
 */
@Injectable()
export class AuthCookies {
  private readonly secure: boolean;
  private readonly csrfKey: Buffer;
  private readonly refreshTtlMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.secure = cookiesSecure(config);
    this.refreshTtlMs = config.auth.refreshTtl * 1000;
    this.csrfKey = Buffer.from(hkdfSync('sha256', Buffer.from(config.auth.jwtSecret), Buffer.alloc(0), 'csrf-token-v1', 32));
  }

  wantsCookies(req: FastifyRequest): boolean {
    return String(req.headers[AUTH_MODE_HEADER] ?? '').toLowerCase() === 'cookie';
  }

  refreshTokenFrom(req: FastifyRequest): string | undefined {
    const value = req.cookies?.[REFRESH_COOKIE];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  /**
   * The refresh token a request presents: the body's, else (cookie mode) the refresh_token cookie,
   * which then needs the CSRF check. 400 when there is neither.
   */
  presentedRefreshToken(req: FastifyRequest, fromBody: string | undefined): { token: string; fromCookie: boolean } {
    if (fromBody) return { token: fromBody, fromCookie: false };
    const token = this.refreshTokenFrom(req);
    // cookie mode without the cookie: the session is gone from this browser (API.md v1.1)
    if (!token) throw this.wantsCookies(req) ? SessionsErrors.invalidRefreshToken() : AuthErrors.refreshTokenMissing();
    this.assertCsrf(req, token);
    return { token, fromCookie: true };
  }

  /**
   * The answer of every route that issues tokens (login, refresh, the OAuth exchange): the token
   * pair as JSON, or in cookie mode the refresh token as a cookie (with its CSRF token) and the
   * body without it.
   */
  respond(issued: IssuedTokens, cookieMode: boolean, res: FastifyReply): TokenPairDto;
  respond(issued: SignInOutcome, cookieMode: boolean, res: FastifyReply): TokenPairDto | MfaChallengeDto;
  respond(issued: SignInOutcome, cookieMode: boolean, res: FastifyReply): TokenPairDto | MfaChallengeDto {
    // a sign-in waiting for its second factor has no session yet: nothing to set
    if (isMfaRequired(issued)) return issued.challenge;
    if (!cookieMode) return issued.body;
    this.set(res, issued.refreshToken, issued.refreshExpiresIn);
    const { refresh_token: _omitted, ...body } = issued.body;
    return body;
  }

  /**
   * The cookie `refreshToken` authenticated this request: the CSRF header must equal the
   * csrf_token cookie, and be a token issued for this refresh token.
   */
  assertCsrf(req: FastifyRequest, refreshToken: string): void {
    const cookie = req.cookies?.[CSRF_COOKIE];
    const header = req.headers[CSRF_HEADER];
    if (typeof cookie !== 'string' || typeof header !== 'string' || !cookie || !safeEqual(cookie, header) || !this.isBound(header, refreshToken)) {
      throw AuthErrors.csrfFailed();
    }
  }

  /** Sets the refresh cookie and a CSRF token bound to it (cookie + X-CSRF-Token header). */
  set(res: FastifyReply, refreshToken: string, maxAgeSeconds: number): void {
    const maxAge = maxAgeSeconds * 1000;
    setTimedCookie(res, REFRESH_COOKIE, refreshToken, { ...this.base(), httpOnly: true, path: AUTH_COOKIE_PATH }, maxAge);
    this.setCsrf(res, refreshToken, maxAge);
  }

  /**
   * GET /auth/csrf: a fresh CSRF token for the session whose refresh cookie came with the request
   * (an app on another origin cannot read the API's csrf_token cookie after a reload). 401
   * invalid_refresh_token without the cookie: there is no session to bind a token to.
   */
  reissueCsrf(req: FastifyRequest, res: FastifyReply): string {
    const token = this.refreshTokenFrom(req);
    if (!token) throw SessionsErrors.invalidRefreshToken();
    return this.setCsrf(res, token, this.refreshTtlMs);
  }

  /** A fresh CSRF token for the session of `refreshToken`, as cookie and header. */
  setCsrf(res: FastifyReply, refreshToken: string, maxAgeMs: number): string {
    const nonce = generateToken(18);
    const csrf = `${nonce}.${this.mac(refreshToken, nonce)}`;
    setTimedCookie(res, CSRF_COOKIE, csrf, { ...this.base(), httpOnly: false, path: '/' }, maxAgeMs);
    res.header('X-CSRF-Token', csrf);
    return csrf;
  }

  clear(res: FastifyReply): void {
    expireCookie(res, REFRESH_COOKIE, { ...this.base(), httpOnly: true, path: AUTH_COOKIE_PATH });
    expireCookie(res, CSRF_COOKIE, { ...this.base(), httpOnly: false, path: '/' });
  }

  private isBound(csrf: string, refreshToken: string): boolean {
    const [nonce, mac, extra] = csrf.split('.');
    if (!nonce || !mac || extra !== undefined) return false;
    return safeEqual(mac, this.mac(refreshToken, nonce));
  }

  private mac(refreshToken: string, nonce: string): string {
    return createHmac('sha256', this.csrfKey).update(sha256(refreshToken)).update('.').update(nonce).digest('base64url');
  }

  private base(): CookieSerializeOptions {
    return { sameSite: 'strict', secure: this.secure };
  }
}
