import { PassportStrategy } from '@nestjs/passport';
import type { StateStore } from 'passport-oauth2';
import { Strategy } from 'passport-google-oauth20';
import type { KeyValueStateStore } from '../flow/oauth-state.store';
import { type ProviderProfile, providerEmail, providerName } from '../oauth-provider';

export interface GoogleStrategyOptions {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  userInfoUrl: string;
  callbackUrl: string;
}

/**
 * Google over OpenID Connect's userinfo endpoint, always with state and PKCE (S256). The
 * verified flag is userinfo's `email_verified`, read from the raw answer so it does not depend
 * on which profile format passport-google-oauth20 guesses from the URL.
 */
export class GoogleStrategy extends PassportStrategy(Strategy, 'google') {
  constructor(options: GoogleStrategyOptions, store: KeyValueStateStore) {
    super({
      clientID: options.clientId,
      clientSecret: options.clientSecret,
      callbackURL: options.callbackUrl,
      authorizationURL: options.authorizationUrl,
      tokenURL: options.tokenUrl,
      userProfileURL: options.userInfoUrl,
      scope: ['openid', 'email', 'profile'],
      state: true,
      pkce: true,
      store: store as unknown as StateStore,
    });
  }

  validate(_accessToken: string, _refreshToken: string | undefined, profile: { _json?: Record<string, unknown> }): ProviderProfile {
    const json = profile?._json ?? {};
    const sub = json.sub;
    if ((typeof sub !== 'string' && typeof sub !== 'number') || String(sub).length === 0 || String(sub).length > 255) {
      throw new Error('Google userinfo has no usable sub');
    }
    const email = providerEmail(json.email);
    return {
      provider: 'google',
      providerUserId: String(sub),
      email,
      emailVerified: email !== null && (json.email_verified === true || json.email_verified === 'true'),
      name: providerName(json.name, [json.given_name, json.family_name].filter(Boolean).join(' ')),
    };
  }
}
