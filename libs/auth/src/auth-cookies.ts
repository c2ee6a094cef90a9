import { Inject, Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '@app/config';
import { generateToken, ProblemException, safeEqual } from '@app/common';

export const REFRESH_COOKIE = 'refresh_token';
export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
export const AUTH_MODE_HEADER = 'x-auth-mode';
export const AUTH_COOKIE_PATH = '/api/v1/auth';

/** Every cookie this API sets is `Secure`, except outside production over plain http (development, tests). */
export function cookiesSecure(config: AppConfig): boolean {
  const devOverHttp = config.app.nodeEnv !== 'production' && config.app.publicUrl.startsWith('http://');
  return !devOverHttp;
}

/**
 * Cookie mode for browser apps (API.md "Browser clients"): the refresh token travels only in an
 * HttpOnly, SameSite=Strict cookie scoped to /api/v1/auth; a readable csrf_token cookie (also
 * sent as the X-CSRF-Token response header, for apps on another origin that cannot read the
 * API's cookies) must be echoed in X-CSRF-Token whenever the cookie authenticates a request.
 */
@Injectable()
export class AuthCookies {
  private readonly secure: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.secure = cookiesSecure(config);
  }

  wantsCookies(req: Request): boolean {
    return String(req.headers[AUTH_MODE_HEADER] ?? '').toLowerCase() === 'cookie';
  }

  refreshTokenFrom(req: Request): string | undefined {
    const value = (req.cookies as Record<string, string> | undefined)?.[REFRESH_COOKIE];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  /** The cookie authenticated this request: the CSRF header must equal the csrf_token cookie. */
  assertCsrf(req: Request): void {
    const cookie = (req.cookies as Record<string, string> | undefined)?.[CSRF_COOKIE];
    const header = req.headers[CSRF_HEADER];
    if (typeof cookie !== 'string' || typeof header !== 'string' || !cookie || !safeEqual(cookie, header)) {
      throw ProblemException.forbidden('csrf_failed', 'X-CSRF-Token must match the csrf_token cookie');
    }
  }

  set(res: Response, refreshToken: string, maxAgeSeconds: number): void {
    const csrf = generateToken(24);
    const maxAge = maxAgeSeconds * 1000;
    res.cookie(REFRESH_COOKIE, refreshToken, { ...this.base(), httpOnly: true, path: AUTH_COOKIE_PATH, maxAge });
    res.cookie(CSRF_COOKIE, csrf, { ...this.base(), httpOnly: false, path: '/', maxAge });
    res.setHeader('X-CSRF-Token', csrf);
  }

  clear(res: Response): void {
    res.clearCookie(REFRESH_COOKIE, { ...this.base(), httpOnly: true, path: AUTH_COOKIE_PATH });
    res.clearCookie(CSRF_COOKIE, { ...this.base(), httpOnly: false, path: '/' });
  }

  private base(): CookieOptions {
    return { sameSite: 'strict', secure: this.secure };
  }
}
