export * from './oauth.module';
export { OAuthIdentity } from './oauth-identity.rows';
export { OAUTH_PROVIDERS, type OAuthProviderName } from './oauth-provider';
export { OAUTH_CALLBACK_ERRORS, type OAuthCallbackError } from './oauth-errors';
