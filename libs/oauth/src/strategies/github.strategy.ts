import { PassportStrategy } from '@nestjs/passport';
import type { StateStore } from 'passport-oauth2';
import { InternalOAuthError } from 'passport-oauth2';
import { Strategy, type StrategyOptions } from 'passport-github2';
import type { KeyValueStateStore } from '../flow/oauth-state.store';
import { type ProviderProfile, providerEmail, providerName } from '../oauth-provider';

export interface GithubStrategyOptions {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  userUrl: string;
  emailsUrl: string;
  callbackUrl: string;
}

interface GithubRaw {
  user: { id?: unknown; login?: unknown; name?: unknown };
  emails: unknown;
}

interface GithubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

/**
 * GitHub with state, and PKCE too (GitHub accepts S256; a server that ignored it would lose
 * nothing). The email is the emails endpoint's primary *and* verified address; the public
 * profile email is never trusted.
 */
export class GithubStrategy extends PassportStrategy(Strategy, 'github') {
  private readonly userUrl: string;
  private readonly emailsUrl: string;

  constructor(options: GithubStrategyOptions, store: KeyValueStateStore) {
    super({
      clientID: options.clientId,
      clientSecret: options.clientSecret,
      callbackURL: options.callbackUrl,
      authorizationURL: options.authorizationUrl,
      tokenURL: options.tokenUrl,
      userProfileURL: options.userUrl,
      userEmailURL: options.emailsUrl,
      scope: ['read:user', 'user:email'],
      state: true,
      pkce: true,
      store: store as unknown as StateStore,
      // @types/passport-github2 narrows `state` to a string; passport-oauth2 takes `true` with a store
    } as unknown as StrategyOptions);
    this.userUrl = options.userUrl;
    this.emailsUrl = options.emailsUrl;
  }

  /**
   * Replaces passport-github2's loader, which parses the emails answer outside any try (a
   * non-JSON body would throw inside an HTTP callback and take the process down) and keeps only
   * the primary address without its verified flag.
   */
  override userProfile(accessToken: string, done: (err?: Error | null, profile?: unknown) => void): void {
    const get = (url: string) =>
      new Promise<unknown>((resolve, reject) => {
        this._oauth2.get(url, accessToken, (err, body) => {
          if (err) return reject(new InternalOAuthError('GitHub request failed', err));
          try {
            resolve(JSON.parse(String(body)));
          } catch {
            reject(new Error('GitHub answered with a body that is not JSON'));
          }
        });
      });
    Promise.all([get(this.userUrl), get(this.emailsUrl)]).then(
      ([user, emails]) => done(null, { user: user ?? {}, emails } satisfies GithubRaw),
      (err: Error) => done(err),
    );
  }

  validate(_accessToken: string, _refreshToken: string | undefined, raw: GithubRaw): ProviderProfile {
    const id = raw?.user?.id;
    if ((typeof id !== 'number' && typeof id !== 'string') || String(id).length === 0 || String(id).length > 255) {
      throw new Error('GitHub user has no usable id');
    }
    const emails = Array.isArray(raw.emails) ? (raw.emails as GithubEmail[]) : [];
    const primary = emails.find((e) => e && e.primary === true && e.verified === true);
    const email = providerEmail(primary?.email);
    return {
      provider: 'github',
      providerUserId: String(id),
      email,
      emailVerified: email !== null,
      name: providerName(raw.user.name, raw.user.login),
    };
  }
}
