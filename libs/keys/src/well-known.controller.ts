import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/config';
import { API_PATH, Public } from '@app/common';
import { JwksDto, OpenIdConfigurationDto } from './dto/keys.dto';
import { SigningKeys } from './signing-keys.service';

/** What resource servers configure themselves from: the JWKS and a minimal discovery document (API.md v1.2). */
@ApiTags('tokens')
@Public()
@Controller('.well-known')
export class WellKnownController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: SigningKeys,
  ) {}

  @Get('jwks.json')
  @ApiOperation({
    summary: 'The public keys that verify access tokens (next, current, and retired ones until their tokens expired)',
    description: 'Cache-Control: public, max-age=JWKS_MAX_AGE. With JWT_ALGORITHM=HS256 there are no public keys: `{keys: []}`.',
  })
  @ApiOkResponse({ type: JwksDto })
  async jwks(@Res({ passthrough: true }) res: FastifyReply): Promise<JwksDto> {
    res.header('Cache-Control', `public, max-age=${this.config.keys.jwksMaxAge}`);
    return { keys: await this.keys.jwks() };
  }

  @Get('openid-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Discovery for resource servers (this API is not an OpenID provider: no authorization or token endpoint)' })
  @ApiOkResponse({ type: OpenIdConfigurationDto })
  discovery(): OpenIdConfigurationDto {
    const base = this.config.app.publicUrl;
    return {
      issuer: this.config.auth.issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      introspection_endpoint: `${base}${API_PATH}/oauth/introspect`,
      id_token_signing_alg_values_supported: [this.config.auth.algorithm],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    };
  }
}
