import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { OAUTH_PROVIDERS, type OAuthProviderName } from '../oauth-provider';
import { IsRedirectPath } from './redirect-path';

const REDIRECT_TO = {
  description: 'a path on FRONTEND_URL (e.g. `/settings?tab=security`), handed back to the front end as `redirect_to`; anything else → 400',
  example: '/dashboard',
  maxLength: 2048,
};

export class InitiateQueryDto {
  @ApiPropertyOptional(REDIRECT_TO)
  @IsOptional()
  @IsRedirectPath()
  redirect_to?: string;

  @ApiPropertyOptional({ description: 'set in the `authorize_url` that POST /oauth/{provider}/link answers (single use, 5 minutes); not with redirect_to' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,128}$/, { message: 'is not a link ticket' })
  link_ticket?: string;
}

export class LinkProviderDto {
  @ApiPropertyOptional(REDIRECT_TO)
  @IsOptional()
  @IsRedirectPath()
  redirect_to?: string;
}

export class ExchangeCodeDto {
  @ApiProperty({ description: 'the one-time code from `FRONTEND_URL/oauth/callback?code=`; single-use, valid 60 s' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  code: string;
}

export class OAuthProviderDto {
  @ApiProperty({ enum: OAUTH_PROVIDERS }) name: OAuthProviderName;
  @ApiProperty({ description: 'open in the browser to sign in with this provider', example: 'https://id.example.com/api/v1/oauth/google/initiate' })
  initiate_url: string;
}

export class OAuthProviderListDto {
  @ApiProperty({ type: [OAuthProviderDto] }) items: OAuthProviderDto[];
}

export class AuthorizeUrlDto {
  @ApiProperty({
    description: "this API's initiate URL with a single-use link ticket (5 minutes): open it in the user's browser, which is then sent on to the provider",
    example: 'https://id.example.com/api/v1/oauth/github/initiate?link_ticket=…',
  })
  authorize_url: string;
}
