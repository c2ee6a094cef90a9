import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BreachedPasswords } from './breached-passwords';
import { AuthErrors } from '../errors';

export type PasswordPolicyConfig = AppConfig['auth']['passwordPolicy'];

/** Passwords are compared after NFKC, so the same password typed on another keyboard or OS still matches. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * The rules that need no estimator: length in code points (after NFKC) and, only when
 * PASSWORD_REQUIRE_CHARACTER_CLASSES=true, the old composition rule. Every broken rule is listed.
 */
export function checkPasswordRules(password: string, policy: PasswordPolicyConfig): string[] {
  const problems: string[] = [];
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < policy.minLength) problems.push(`must be at least ${policy.minLength} characters`);
  if (length > policy.maxLength) problems.push(`must be at most ${policy.maxLength} characters`);
  if (policy.requireCharacterClasses) {
    if (!/\p{Lu}/u.test(normalized)) problems.push('must contain an upper-case letter');
    if (!/\p{Ll}/u.test(normalized)) problems.push('must contain a lower-case letter');
    if (!/\p{Nd}/u.test(normalized)) problems.push('must contain a digit');
    if (!/[^\p{L}\p{Nd}\s]/u.test(normalized)) problems.push('must contain a symbol');
  }
  return problems;
}

/** Who the password is for: the estimator counts these as easy guesses. */
export interface PasswordOwner {
  email?: string | null;
  name?: string | null;
}

/**
 * The password policy of API.md (v1.1), after NIST SP 800-63B: length plus a strength estimate
 * and an optional breach check, instead of composition rules that push people to `Password1!`.
 * Applies to every password a person chooses (register, change, reset, bootstrap admin), never
 * at login: existing users keep signing in.
 */
@Injectable()
export class PasswordPolicy implements OnApplicationBootstrap {
  private readonly policy: PasswordPolicyConfig;
  private estimator?: ZxcvbnFactory;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly breaches: BreachedPasswords,
  ) {
    this.policy = config.auth.passwordPolicy;
  }

  /** The estimator's first checks take 10–40 ms (it builds its tables); pay that at boot, not on the first sign-up. */
  onApplicationBootstrap(): void {
    if (this.policy.minScore > 0) setImmediate(() => this.estimate('warm up the estimator', {}));
  }

  /** Throws 400 validation_failed (on `field`) listing every reason the password is refused. */
  async assert(password: string, owner: PasswordOwner, field = 'password'): Promise<void> {
    const problems = await this.problems(password, owner);
    if (problems.length) throw AuthErrors.passwordRefused(problems.map((message) => ({ field, message })));
  }

  /** Every reason the password is refused (empty: accepted). The breach check only runs for an otherwise acceptable password. */
  async problems(password: string, owner: PasswordOwner): Promise<string[]> {
    const problems = checkPasswordRules(password, this.policy);
    if (problems.length) return problems;
    const normalized = normalizePassword(password);
    if (this.policy.minScore > 0) {
      const weak = this.estimate(normalized, owner);
      if (weak) return [weak];
    }
    if (await this.breaches.isBreached(normalized)) {
      return ['appears in a known data breach; choose another one'];
    }
    return [];
  }

  /** null when strong enough, else the estimator's warning. */
  private estimate(password: string, owner: PasswordOwner): string | null {
    this.estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs, translations: en.translations });
    const result = this.estimator.check(password, userInputs(owner));
    if (result.score >= this.policy.minScore) return null;
    const reason = result.feedback.warning || result.feedback.suggestions[0] || '';
    return `is too easy to guess${reason ? `: ${reason}` : ''}`;
  }
}

/** The email, its local part and the words of the name: what an attacker tries first. */
function userInputs(owner: PasswordOwner): string[] {
  const inputs: string[] = [];
  if (owner.email) inputs.push(owner.email, owner.email.split('@')[0]);
  if (owner.name) inputs.push(owner.name, ...owner.name.split(/\s+/).filter((w) => w.length > 2));
  return inputs;
}
