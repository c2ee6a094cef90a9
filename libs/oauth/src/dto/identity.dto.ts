import { ApiProperty } from '@nestjs/swagger';
import { OAuthIdentity } from '../oauth-identity.rows';
import { OAUTH_PROVIDERS, type OAuthProviderName } from '../oauth-provider';

/** A provider account linked to a user (the caller, or any user for an admin). */
export class IdentityDto {
  @ApiProperty({ enum: OAUTH_PROVIDERS }) provider: OAuthProviderName;
  @ApiProperty({ type: String, nullable: true, description: 'the email the provider gave when it was linked', example: 'ada@example.com' })
  email: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  static from(identity: OAuthIdentity): IdentityDto {
    return { provider: identity.provider, email: identity.email, created_at: identity.createdAt.toISOString() };
  }
}

export class IdentityListDto {
  @ApiProperty({ type: [IdentityDto] }) items: IdentityDto[];
}
