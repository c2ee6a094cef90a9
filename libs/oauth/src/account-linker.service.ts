import { Inject, Injectable } from '@nestjs/common';
import { UnitOfWork } from '@app/database';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type ClientInfo, Clock, DomainEvents, tryCanonicalEmail } from '@app/common';
import { AccessStateService, SessionsService } from '@app/sessions';
import { EmailTakenError, User, UsersRepository } from '@app/users';
import { IdentityConflictError, OAuthIdentitiesRepository } from './oauth-identities.repository';
import { OAuthFlowError } from './oauth-errors';
import type { ProviderProfile } from './oauth-provider';

/**
 * The linking rules of API.md, applied to a provider account that has just proven itself:
 *  1. an account already linked signs in its user;
 *  2. else a provider-verified email that matches a user (case-insensitively) links to that user;
 *  3. a match the provider has not verified fails `account_exists`, and nothing is linked;
 *  4. no match creates a user with no password and `email_verified` as the provider says.
 * Link and creation commit with their audit events; a race with a concurrent callback for the same
 * account (the unique constraints reject the loser) is resolved by applying the rules once more.
 */
@Injectable()
export class AccountLinker {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly users: UsersRepository,
    private readonly identities: OAuthIdentitiesRepository,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly accessState: AccessStateService,
    private readonly sessions: SessionsService,
  ) {}

  /** The user this provider account signs in (linking or creating per the rules). */
  async userForSignIn(profile: ProviderProfile, client: ClientInfo): Promise<User> {
    try {
      return await this.applyRules(profile, client);
    } catch (err) {
      if (!isRace(err)) throw err;
      return this.applyRules(profile, client);
    }
  }

  /** Links the provider account to a signed-in user (the link flow). */
  async linkToUser(userId: string, sessionId: string, profile: ProviderProfile, client: ClientInfo): Promise<void> {
    try {
      await this.link(userId, sessionId, profile, client);
    } catch (err) {
      if (!isRace(err)) throw err;
      await this.link(userId, sessionId, profile, client);
    }
  }

  private async applyRules(profile: ProviderProfile, client: ClientInfo): Promise<User> {
    const linked = await this.identities.findByAccount(profile.provider, profile.providerUserId);
    if (linked) {
      const user = await this.users.findById(linked.userId);
      if (!user) throw new OAuthFlowError('server_error');
      return this.admit(user, profile);
    }
    if (!profile.email) throw new OAuthFlowError('email_unverified');

    const existing = await this.users.findByEmail(profile.email);
    if (existing) {
      const current = await this.identities.findForUser(existing.id, profile.provider);
      // a concurrent callback for this same account linked it after our first look: rule 1
      if (current?.providerUserId === profile.providerUserId) return this.admit(existing, profile);
      if (!profile.emailVerified) throw new OAuthFlowError('account_exists', existing.id);
      this.admit(existing, profile);
      // identities of a never-verified account are removed by the claim below, this one included
      if (current && existing.emailVerifiedAt) throw new OAuthFlowError('provider_already_linked', existing.id);
      return this.linkByEmail(existing, profile, current !== null, client);
    }

    if (this.config.auth.requireEmailVerification && !profile.emailVerified) throw new OAuthFlowError('email_not_verified');
    return this.uow.run(async (tx) => {
      const user = await this.users.create(
        {
          email: profile.email!,
          passwordHash: null,
          name: profile.name,
          emailVerifiedAt: profile.emailVerified ? this.clock.now() : null,
        },
        tx,
      );
      await this.identities.insert({ userId: user.id, provider: profile.provider, providerUserId: profile.providerUserId, email: profile.email }, tx);
      const actor = { actorId: user.id, ...client };
      await this.events.record('user.registered', actor, { metadata: { method: profile.provider }, tx });
      await this.events.record('oauth.linked', actor, { metadata: { provider: profile.provider, via: 'sign_up' }, tx });
      return user;
    });
  }

  /**
   * Rule 2. Pre-account-takeover defence: if the address was never verified, whoever registered
   * it (and set its password, linked its identities) never proved owning it. The provider just
   * did, for the real owner: the claim drops that password, revokes its sessions and removes the
   * identities linked before (`user.account_claimed`), in the same transaction as the link.
   */
  private async linkByEmail(existing: User, profile: ProviderProfile, hadOtherOfProvider: boolean, client: ClientInfo): Promise<User> {
    const actor = { actorId: existing.id, ...client };
    const claimed = await this.uow.run(async (tx) => {
      const unproven = await this.users.claimUnverified(existing.id, this.clock.now(), tx);
      if (unproven) {
        await this.events.record('user.account_claimed', actor, { metadata: { via: profile.provider }, tx });
      } else if (hadOtherOfProvider) {
        // verified by someone else between our read and the claim: its identities stay
        throw new OAuthFlowError('provider_already_linked', existing.id);
      }
      if (unproven) await this.sessions.revokeAllForUser(existing.id, 'unverified_account_claimed', actor, { tx });
      await this.identities.insert({ userId: existing.id, provider: profile.provider, providerUserId: profile.providerUserId, email: profile.email }, tx);
      await this.events.record('oauth.linked', actor, { metadata: { provider: profile.provider, via: 'email_match', unproven_login_removed: unproven }, tx });
      return unproven;
    });
    if (!claimed) return existing;
    return (await this.users.findById(existing.id)) ?? existing;
  }

  private async link(userId: string, sessionId: string, profile: ProviderProfile, client: ClientInfo): Promise<void> {
    // the session that asked for the link must still be alive: revoking it (or disabling the
    // user) within the 10 minutes of the state also cancels the link it started
    const access = await this.accessState.check(sessionId, userId);
    if (!access.ok) throw new OAuthFlowError(access.reason === 'disabled' ? 'account_disabled' : 'session_ended', userId);
    const user = await this.users.findById(userId);
    if (!user || !user.isActive) throw new OAuthFlowError('account_disabled', userId);
    if (!user.emailVerifiedAt) throw new OAuthFlowError('email_not_verified', userId);
    const linked = await this.identities.findByAccount(profile.provider, profile.providerUserId);
    if (linked) {
      if (linked.userId === userId) return;
      throw new OAuthFlowError('identity_in_use', userId);
    }
    const current = await this.identities.findForUser(userId, profile.provider);
    if (current?.providerUserId === profile.providerUserId) return;
    if (current) throw new OAuthFlowError('provider_already_linked', userId);
    await this.uow.run(async (tx) => {
      await this.identities.insert({ userId, provider: profile.provider, providerUserId: profile.providerUserId, email: profile.email }, tx);
      await this.events.record('oauth.linked', { actorId: userId, sessionId, ...client }, { metadata: { provider: profile.provider, via: 'link' }, tx });
    });
  }

  /** The checks a password sign-in would make, for a user a provider vouches for. */
  private admit(user: User, profile: ProviderProfile): User {
    if (!user.isActive) throw new OAuthFlowError('account_disabled', user.id);
    const providerVouches = profile.emailVerified && profile.email !== null && tryCanonicalEmail(profile.email) === tryCanonicalEmail(user.email);
    if (this.config.auth.requireEmailVerification && !user.emailVerifiedAt && !providerVouches) {
      throw new OAuthFlowError('email_not_verified', user.id);
    }
    return user;
  }
}

/** Lost a race with a concurrent callback: the rules, applied again, see the winner's rows. */
function isRace(err: unknown): boolean {
  return err instanceof IdentityConflictError || err instanceof EmailTakenError;
}
