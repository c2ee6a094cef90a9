import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { API_PATH, generateToken } from '@app/common';
import { cookiesSecure, setTimedCookie } from '@app/auth';
import { STATE_TTL_MS } from './oauth-state.store';

export const FLOW_COOKIE = 'oauth_flow';
const OAUTH_PATH = `${API_PATH}/oauth`;
const NONCE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Binds OAuth flows to the browser that started them: initiate sets a random nonce in an
 * HttpOnly, SameSite=Lax cookie scoped to the OAuth routes (Lax: the provider's redirect back is
 * a top-level cross-site navigation, which Strict would strip), and the flow stores its hash;
 * the callback must come with the same cookie. A browser keeps one nonce for 10 minutes, reused
 * by every flow it starts meanwhile, so several tabs can sign in at once.
 */
@Injectable()
export class FlowCookie {
  private readonly secure: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.secure = cookiesSecure(config);
  }

  /** The browser's nonce if it has a well-formed one. */
  read(req: FastifyRequest): string | undefined {
    const value = req.cookies?.[FLOW_COOKIE];
    return typeof value === 'string' && NONCE.test(value) ? value : undefined;
  }

  /** The nonce for a flow this browser starts now; (re)sets the cookie. */
  issue(req: FastifyRequest, res: FastifyReply): string {
    const nonce = this.read(req) ?? generateToken(32);
    setTimedCookie(res, FLOW_COOKIE, nonce, { httpOnly: true, sameSite: 'lax', secure: this.secure, path: OAUTH_PATH }, STATE_TTL_MS);
    return nonce;
  }
}
