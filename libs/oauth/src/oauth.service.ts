import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type AuthContext, type ClientInfo, DomainEvents, ProblemException, sha256 } from '@app/common';
import { AuthService, type SignInOutcome } from '@app/auth';
import { SessionsErrors } from '@app/sessions';
import { UsersRepository } from '@app/users';
import { AccountLinker } from './account-linker.service';
import { ExchangeCodes } from './flow/exchange-codes';
import { LinkTickets } from './flow/link-tickets';
import { INVALID_STATE, type OAuthFlow, StateStoreUnavailableError } from './flow/oauth-state.store';
import { runStrategy } from './flow/run-strategy';
import { OAuthIdentitiesRepository } from './oauth-identities.repository';
import { type OAuthCallbackError, OAuthErrors, OAuthFlowError } from './oauth-errors';
import type { OAuthProviderName, ProviderProfile } from './oauth-provider';
import { type EnabledProvider, OAuthProviders } from './oauth-providers';

export interface CallbackParams {
  code?: string;
  state?: string;
  error?: string;
}

/**
 * Owns social sign-in: initiate (state + PKCE kept server-side), the callback (which never
 * throws at the browser: every failure is a redirect to the front end with an `error` code and
 * creates nothing), one-time exchange codes, and starting a link for a signed-in user.
 * `oauth.login` is recorded once, by AuthService.signIn, when the code is exchanged for a session.
 */
@Injectable()
export class OAuthService {
  private readonly logger = new Logger(OAuthService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly providers: OAuthProviders,
    private readonly linker: AccountLinker,
    private readonly codes: ExchangeCodes,
    private readonly tickets: LinkTickets,
    private readonly identities: OAuthIdentitiesRepository,
    private readonly users: UsersRepository,
    private readonly auth: AuthService,
    private readonly events: DomainEvents,
  ) {}

  listProviders(): { name: OAuthProviderName; initiateUrl: string }[] {
    return this.providers.list().map((p) => ({ name: p.name, initiateUrl: this.providers.initiateUrl(p.name) }));
  }

  /**
   * The provider's authorize URL for a sign-in; state (+ PKCE verifier, redirect_to and the hash
   * of the browser's flow-cookie nonce) stored for 10 minutes.
   */
  initiate(providerName: string, redirectTo: string | undefined, browserNonce: string): Promise<string> {
    return this.authorizeUrl(this.providers.get(providerName), { redirectTo: redirectTo ?? null, link: null, browser: sha256(browserNonce) });
  }

  /**
   * Starts linking a provider account to the caller: answers this API's initiate URL with a
   * single-use ticket, for the caller's browser to open (the browser must hold the flow cookie).
   * The caller must have proven their email: an unproven account could belong to a squatter.
   */
  async startLink(me: AuthContext, providerName: string, redirectTo: string | undefined): Promise<string> {
    const provider = this.providers.get(providerName);
    const user = await this.users.findById(me.userId);
    if (!user?.emailVerifiedAt) {
      throw OAuthErrors.emailNotVerifiedForLink();
    }
    if (await this.identities.findForUser(me.userId, provider.name)) {
      throw OAuthErrors.providerAlreadyLinked(provider.name);
    }
    const ticket = await this.tickets
      .issue({ provider: provider.name, userId: me.userId, sessionId: me.sessionId, redirectTo: redirectTo ?? null })
      .catch(() => {
        throw ProblemException.unavailable();
      });
    return `${this.providers.initiateUrl(provider.name)}?link_ticket=${ticket}`;
  }

  /**
   * The browser opened a link URL: redeems its ticket and starts the link flow bound to this
   * browser. An unknown, used or expired ticket ends at the front end with `invalid_state`.
   */
  async initiateLink(providerName: string, ticket: string, browserNonce: string): Promise<string> {
    const provider = this.providers.get(providerName);
    const request = await this.tickets.redeem(ticket).catch(() => {
      throw ProblemException.unavailable();
    });
    if (!request || request.provider !== provider.name) return this.frontend({ error: 'invalid_state' });
    const link = { userId: request.userId, sessionId: request.sessionId };
    return this.authorizeUrl(provider, { redirectTo: request.redirectTo, link, browser: sha256(browserNonce) });
  }

  /** Handles the provider's redirect back; resolves with the front-end URL to redirect to. */
  async callback(providerName: string, params: CallbackParams, client: ClientInfo, browserNonce: string | undefined): Promise<string> {
    const provider = this.providers.get(providerName);
    let flow: OAuthFlow | null = null;
    try {
      if (params.error || !params.code) {
        // passport would skip the state check on an error, and treat a missing code as a new
        // initiate: consume the state here so it cannot be used again either way
        const stored = await provider.states.consume(params.state, browserNonce);
        if (!stored) throw new OAuthFlowError('invalid_state');
        flow = stored;
        throw new OAuthFlowError(params.error === 'access_denied' ? 'access_denied' : 'provider_error');
      }
      const result = await this.authenticate(provider, params, browserNonce);
      flow = result.flow;
      if (flow.link) {
        await this.linker.linkToUser(flow.link.userId, flow.link.sessionId, result.profile, client);
        return this.frontend({ linked: provider.name, redirect_to: flow.redirectTo });
      }
      const user = await this.linker.userForSignIn(result.profile, client);
      const code = await this.codes.issue({ userId: user.id, provider: provider.name }).catch((err) => {
        throw new StateStoreUnavailableError(err);
      });
      return this.frontend({ code, redirect_to: flow.redirectTo });
    } catch (err) {
      const failure = this.classify(err);
      await this.auditFailure(provider.name, flow, failure, client);
      return this.frontend({ error: failure.code });
    }
  }

  /** Redeems a one-time code for the TokenPair of a new session (auth_method = the provider). */
  async exchange(code: string, client: ClientInfo): Promise<SignInOutcome> {
    const grant = await this.codes.redeem(code).catch(() => {
      throw ProblemException.unavailable();
    });
    const user = grant ? await this.users.findById(grant.userId) : null;
    if (!grant || !user) throw OAuthErrors.invalidExchangeCode();
    if (!user.isActive) {
      await this.events.record(
        'oauth.login',
        { actorId: user.id, ...client },
        { outcome: 'failure', metadata: { provider: grant.provider, reason: 'account_disabled' } },
      );
      throw SessionsErrors.accountDisabled();
    }
    return this.auth.beginSignIn(user, grant.provider, client, { provider: grant.provider });
  }

  private async authorizeUrl(provider: EnabledProvider, flow: Omit<OAuthFlow, 'provider'>): Promise<string> {
    const outcome = await runStrategy(provider.strategy, { query: {}, body: {} }, { state: flow });
    if (outcome.kind === 'redirect') return outcome.url;
    if (outcome.kind === 'error' && outcome.err instanceof StateStoreUnavailableError) throw ProblemException.unavailable();
    throw outcome.kind === 'error' ? outcome.err : new Error(`OAuth initiate ended with ${outcome.kind}`);
  }

  /** State check, code → token (with the PKCE verifier), profile: what passport-oauth2 does. */
  private async authenticate(
    provider: EnabledProvider,
    params: CallbackParams,
    flowNonce: string | undefined,
  ): Promise<{ profile: ProviderProfile; flow: OAuthFlow }> {
    const outcome = await runStrategy(provider.strategy, { query: { code: params.code, state: params.state }, body: {}, flowNonce }, {});
    switch (outcome.kind) {
      case 'success':
        return { profile: outcome.user as ProviderProfile, flow: outcome.info.state as OAuthFlow };
      case 'fail':
        throw new OAuthFlowError(outcome.challenge === INVALID_STATE ? 'invalid_state' : 'provider_error');
      case 'error':
        if (outcome.err instanceof StateStoreUnavailableError) throw outcome.err;
        // everything else the strategy reports comes from talking to the provider: the token
        // endpoint (TokenError, InternalOAuthError), the profile endpoints, or a profile we cannot use
        this.logger.warn(`OAuth ${provider.name} provider failure: ${(outcome.err as Error)?.message ?? String(outcome.err)}`);
        throw new OAuthFlowError('provider_error');
      default:
        throw new OAuthFlowError('provider_error');
    }
  }

  private classify(err: unknown): { code: OAuthCallbackError; userId: string | null } {
    if (err instanceof OAuthFlowError) return { code: err.code, userId: err.userId };
    if (err instanceof StateStoreUnavailableError) return { code: 'service_unavailable', userId: null };
    if (err instanceof ProblemException && err.status === 503) return { code: 'service_unavailable', userId: null };
    this.logger.error({ err }, 'OAuth callback failed');
    return { code: 'server_error', userId: null };
  }

  private async auditFailure(
    provider: OAuthProviderName,
    flow: OAuthFlow | null,
    failure: { code: OAuthCallbackError; userId: string | null },
    client: ClientInfo,
  ): Promise<void> {
    const userId = flow?.link?.userId ?? failure.userId;
    try {
      await this.events.record(
        flow?.link ? 'oauth.linked' : 'oauth.login',
        { actorId: userId, sessionId: flow?.link?.sessionId ?? null, ...client },
        { outcome: 'failure', metadata: { provider, reason: failure.code } },
      );
    } catch (err) {
      // the browser still gets its error redirect; the audit store being down is reported by health
      this.logger.error(`Could not record the failed OAuth callback: ${(err as Error).message}`);
    }
  }

  private frontend(params: Record<string, string | null | undefined>): string {
    const url = new URL(`${this.config.app.frontendUrl}/oauth/callback`);
    for (const [name, value] of Object.entries(params)) if (value) url.searchParams.set(name, value);
    return url.toString();
  }
}
