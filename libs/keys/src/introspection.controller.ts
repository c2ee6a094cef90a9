import { Body, Controller, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AcceptsForm, ApiProblems, Clock, CommonErrors, Public } from '@app/common';
import { KeyValueStore } from '@app/redis';
import { AccessStateService } from '@app/sessions';
import { IntrospectDto, IntrospectionDto } from './dto/keys.dto';
import { KeysErrors } from './errors';
import { ServiceClients } from './service-clients';
import { type AccessClaims, TokenCodec } from './token-codec';

/**
 * RFC 7662 introspection for service clients: `{active: true, ...}` only for an access token that
 * our own routes would accept right now (signature, iss, aud, exp, typ, a live session, an active
 * user: the same access-state check, without counting a request of the user), else
 * `{active: false}` with no reason. Throttled per client (THROTTLE_LIMIT per THROTTLE_TTL).
 */
@ApiTags('tokens')
@Public()
@Controller('oauth/introspect')
export class IntrospectionController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clients: ServiceClients,
    private readonly codec: TokenCodec,
    private readonly accessState: AccessStateService,
    private readonly kv: KeyValueStore,
    private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(200)
  @AcceptsForm()
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBasicAuth('service-client')
  @ApiOperation({
    summary: 'RFC 7662 token introspection for service clients (HTTP Basic, SERVICE_CLIENTS)',
    description: '`{active:false}` for anything revoked, expired, disabled or malformed — no detail. Revocation is visible on the next call.',
  })
  @ApiOkResponse({ type: IntrospectionDto })
  @ApiProblems([KeysErrors.invalidClient, 'no or wrong client credentials'])
  async introspect(
    @Headers('authorization') authorization: string | undefined,
    @Body() dto: IntrospectDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<IntrospectionDto> {
    const clientId = await this.clients.authenticate(authorization);
    if (!clientId) throw KeysErrors.invalidClient();
    await this.throttle(clientId);
    res.header('Cache-Control', 'no-store');
    const now = this.clock.now().getTime();
    let claims: AccessClaims;
    try {
      claims = await this.codec.verify(dto.token, now / 1000);
    } catch {
      return { active: false };
    }
    const { sub, sid } = claims;
    const decision = await this.accessState.check(sid, sub, now);
    if (!decision.ok) return { active: false };
    return {
      active: true,
      sub,
      sid,
      role: decision.role,
      exp: claims.exp,
      iat: claims.iat as number,
      iss: claims.iss as string,
      aud: claims.aud as string,
      ...(Array.isArray(claims.amr) ? { amr: claims.amr as string[] } : {}),
      client_id: clientId,
    };
  }

  private async throttle(clientId: string): Promise<void> {
    const { limit, ttlMs } = this.config.throttle;
    const hits = await this.kv.incr(`introspect:${clientId}`, ttlMs).catch(() => 0);
    if (hits > limit) throw CommonErrors.rateLimited(Math.ceil(ttlMs / 1000));
  }
}
