import { Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { SessionsModule } from '@app/sessions';
import { UsersModule } from '@app/users';
import { AccountLinker } from './account-linker.service';
import { AdminIdentitiesController } from './admin-identities.controller';
import { ClaimedAccountListener } from './claimed-account.listener';
import { ExchangeCodes } from './flow/exchange-codes';
import { FlowCookie } from './flow/flow-cookie';
import { LinkTickets } from './flow/link-tickets';
import { IdentitiesController } from './identities.controller';
import { IdentitiesService } from './identities.service';
import { OAuthIdentitiesRepository } from './oauth-identities.repository';
import { OAuthController } from './oauth.controller';
import { OAuthProviders } from './oauth-providers';
import { OAuthService } from './oauth.service';

/**
 * Social sign-in (Google, GitHub): passport strategies configured from GOOGLE_* / GITHUB_*,
 * state + PKCE in the shared store, the linking rules, one-time exchange codes, and the
 * linked identities (the caller's, and any user's for the admin API). Sessions are started by AuthService, like a password sign-in.
 */
@Module({
  imports: [UsersModule, SessionsModule, AuthModule],
  controllers: [OAuthController, IdentitiesController, AdminIdentitiesController],
  providers: [
    OAuthProviders,
    ExchangeCodes,
    LinkTickets,
    FlowCookie,
    OAuthIdentitiesRepository,
    AccountLinker,
    OAuthService,
    IdentitiesService,
    ClaimedAccountListener,
  ],
})
export class OAuthModule {}
