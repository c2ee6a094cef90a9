import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@app/database';
import { type Actor, type AuthContext, DomainEvents } from '@app/common';
import { LoginMethods, UsersErrors, UsersRepository } from '@app/users';
import { OAuthErrors } from './oauth-errors';
import { OAuthIdentitiesRepository } from './oauth-identities.repository';
import { OAuthIdentity } from './oauth-identity.rows';
import { isOAuthProviderName } from './oauth-provider';
import { OAuthProviders } from './oauth-providers';

/**
 * Linked provider accounts: the caller lists them and unlinks one unless it is the last way to sign
 * in; an admin lists any user's.
 */
@Injectable()
export class IdentitiesService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly identities: OAuthIdentitiesRepository,
    private readonly providers: OAuthProviders,
    private readonly events: DomainEvents,
    private readonly loginMethods: LoginMethods,
    private readonly users: UsersRepository,
  ) {
    // other contexts' "last login method" rules (passkey removal) count the enabled linked providers
    loginMethods.register(
      'oauth',
      async (userId, tx) => (await this.identities.listForUser(userId, tx)).filter((i) => this.providers.isEnabled(i.provider)).length,
    );
  }

  list(userId: string): Promise<OAuthIdentity[]> {
    return this.identities.listForUser(userId);
  }

  /** Any user's linked accounts (the admin API); 404 user_not_found for an unknown user. */
  async listOf(userId: string): Promise<OAuthIdentity[]> {
    if (!(await this.users.findById(userId))) throw UsersErrors.userNotFound();
    return this.identities.listForUser(userId);
  }

  /**
   * 404 when not linked; 409 last_login_method when the user has no password and no other
   * identity of a provider that is still enabled. The owner row is locked, so two concurrent
   * unlinks cannot each leave the other as the last method and remove both.
   */
  async unlink(me: AuthContext, provider: string, actor: Actor): Promise<void> {
    if (!isOAuthProviderName(provider)) throw OAuthErrors.identityNotFound();
    const refused = await this.uow.run(async (tx) => {
      const owner = await this.identities.lockOwner(me.userId, tx);
      const linked = owner ? await this.identities.listForUser(me.userId, tx) : [];
      const target = linked.find((i) => i.provider === provider);
      if (!owner || !target) throw OAuthErrors.identityNotFound();
      const ways = await this.loginMethods.count(me.userId, tx);
      const others = Object.entries(ways).reduce((n, [kind, count]) => n + count - (kind === 'oauth' && this.providers.isEnabled(target.provider) ? 1 : 0), 0);
      if (!owner.hasPassword && others === 0) return true;
      await this.identities.delete(target.id, tx);
      await this.events.record('oauth.unlinked', actor, { metadata: { provider }, tx });
      return false;
    });
    if (refused) {
      await this.events.record('oauth.unlinked', actor, { outcome: 'failure', metadata: { provider, reason: 'last_login_method' } });
      throw OAuthErrors.lastLoginMethod();
    }
  }
}
