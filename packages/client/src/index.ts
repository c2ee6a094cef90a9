/**
 * A typed TypeScript client of the identity API (README "Using the TypeScript client"): the raw
 * openapi-fetch client over the generated schema, plus token storage, single-flight refresh, cookie
 * mode and problem errors.
 */
export {
  createIdentityClient,
  type AuthMode,
  type IdentityApi,
  type IdentityClient,
  type IdentityClientOptions,
  type LoginBody,
  type LoginResult,
  type MfaChallenge,
  type MfaVerifyBody,
  type PasskeyLoginBody,
  type RegisterBody,
  type TokenPair,
  type User,
} from './identity-client';
export {
  IdentityProblemError,
  isIdentityProblem,
  type KnownProblemCode,
  type Problem,
  type ProblemCode,
  type ProblemCodeOf,
  type ProblemFieldError,
  unwrap,
} from './problem';
export { memoryTokenStore, type StoredTokens, type TokenStore } from './token-store';
export type { components, operations, paths } from './schema';
