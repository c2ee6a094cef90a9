export * from './oauth.module';
export { OAuthIdentity } from './oauth-identity.entity';
export { OAUTH_PROVIDERS, type OAuthProviderName } from './oauth-provider';
export { OAUTH_CALLBACK_ERRORS, type OAuthCallbackError } from './oauth-errors';
