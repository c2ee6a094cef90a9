import { Inject, Injectable } from '@nestjs/common';
import type { Strategy } from 'passport';
import { APP_CONFIG, AppConfig } from '@app/config';
import { API_PATH } from '@app/common';
import { OAuthErrors } from './oauth-errors';
import { KeyValueStore } from '@app/redis';
import { KeyValueStateStore } from './flow/oauth-state.store';
import { isOAuthProviderName, OAUTH_PROVIDERS, type OAuthProviderName } from './oauth-provider';
import { GithubStrategy } from './strategies/github.strategy';
import { GoogleStrategy } from './strategies/google.strategy';

export interface EnabledProvider {
  name: OAuthProviderName;
  strategy: Strategy;
  states: KeyValueStateStore;
}

/** Path of the API's routes under PUBLIC_URL (the global prefix set in apps/api bootstrap). */

/**
 * The providers this node speaks to: one whose client id and secret are both configured; every
 * endpoint URL comes from configuration. Anything else — unknown or merely not configured —
 * is 404 on every OAuth route.
 */
@Injectable()
export class OAuthProviders {
  private readonly enabled = new Map<OAuthProviderName, EnabledProvider>();
  private readonly publicUrl: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig, kv: KeyValueStore) {
    this.publicUrl = config.app.publicUrl;
    const { google, github } = config.oauth;
    if (google.clientId && google.clientSecret) {
      const states = new KeyValueStateStore(kv, 'google');
      const strategy = new GoogleStrategy(
        { ...google, clientId: google.clientId, clientSecret: google.clientSecret, callbackUrl: this.callbackUrl('google') },
        states,
      );
      this.enabled.set('google', { name: 'google', strategy, states });
    }
    if (github.clientId && github.clientSecret) {
      const states = new KeyValueStateStore(kv, 'github');
      const strategy = new GithubStrategy(
        { ...github, clientId: github.clientId, clientSecret: github.clientSecret, callbackUrl: this.callbackUrl('github') },
        states,
      );
      this.enabled.set('github', { name: 'github', strategy, states });
    }
  }

  list(): EnabledProvider[] {
    return OAUTH_PROVIDERS.filter((p) => this.enabled.has(p)).map((p) => this.enabled.get(p)!);
  }

  isEnabled(name: string): boolean {
    return isOAuthProviderName(name) && this.enabled.has(name);
  }

  /** The provider of a route parameter; 404 not_found when unknown or not configured. */
  get(name: string): EnabledProvider {
    const provider = isOAuthProviderName(name) ? this.enabled.get(name) : undefined;
    if (!provider) throw OAuthErrors.unknownProvider();
    return provider;
  }

  initiateUrl(name: OAuthProviderName): string {
    return `${this.publicUrl}${API_PATH}/oauth/${name}/initiate`;
  }

  callbackUrl(name: OAuthProviderName): string {
    return `${this.publicUrl}${API_PATH}/oauth/${name}/callback`;
  }
}
