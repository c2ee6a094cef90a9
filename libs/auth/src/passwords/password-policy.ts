import type { AppConfig } from '@app/config';

export type PasswordPolicyConfig = AppConfig['auth']['passwordPolicy'];

/**
 * The password rules of API.md (configurable): length bounds and character classes. Returns
 * every rule the password breaks, as messages for the `errors[]` of a validation problem.
 */
export function checkPasswordPolicy(password: string, policy: PasswordPolicyConfig): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < policy.minLength) problems.push(`must be at least ${policy.minLength} characters`);
  if (length > policy.maxLength) problems.push(`must be at most ${policy.maxLength} characters`);
  if (policy.requireUppercase && !/\p{Lu}/u.test(password)) problems.push('must contain an upper-case letter');
  if (policy.requireLowercase && !/\p{Ll}/u.test(password)) problems.push('must contain a lower-case letter');
  if (policy.requireDigit && !/\p{Nd}/u.test(password)) problems.push('must contain a digit');
  if (policy.requireSymbol && !/[^\p{L}\p{Nd}\s]/u.test(password)) problems.push('must contain a symbol');
  return problems;
}
