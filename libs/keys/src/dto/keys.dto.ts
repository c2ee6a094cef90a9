import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import type { SigningKeyRow } from '../signing-keys.repository';

/** A signing key as the admin API shows it: never private material. */
export class SigningKeyDto {
  @ApiProperty({ description: 'the JWK thumbprint (RFC 7638), the `kid` of the tokens it signs' }) kid: string;
  @ApiProperty({ enum: ['ES256', 'EdDSA'] }) alg: string;
  @ApiProperty({ enum: ['next', 'current', 'retired'] }) state: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) activated_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) retired_at: string | null;

  static from(k: SigningKeyRow): SigningKeyDto {
    return {
      kid: k.kid,
      alg: k.alg,
      state: k.state,
      created_at: k.createdAt.toISOString(),
      activated_at: k.activatedAt?.toISOString() ?? null,
      retired_at: k.retiredAt?.toISOString() ?? null,
    };
  }
}

export class SigningKeyPageDto {
  @ApiProperty({ type: [SigningKeyDto] }) items: SigningKeyDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

export class JwksDto {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'public JWKs (kid, alg, use: sig)' })
  keys: object[];
}

export class OpenIdConfigurationDto {
  @ApiProperty() issuer: string;
  @ApiProperty() jwks_uri: string;
  @ApiProperty() introspection_endpoint: string;
  @ApiProperty({ type: [String] }) id_token_signing_alg_values_supported: string[];
  @ApiProperty({ type: [String] }) token_endpoint_auth_methods_supported: string[];
}

/** RFC 7662 request (form-encoded). */
export class IntrospectDto {
  @ApiProperty({ description: 'the access token to check' }) @IsString() @IsNotEmpty() @MaxLength(8192) token: string;
  @ApiPropertyOptional({ description: 'ignored (only access tokens are introspected)' }) @IsOptional() @IsString() @MaxLength(64) token_type_hint?: string;
}

export class IntrospectionDto {
  @ApiProperty() active: boolean;
  @ApiPropertyOptional() sub?: string;
  @ApiPropertyOptional() sid?: string;
  @ApiPropertyOptional({ description: 'the live role' }) role?: string;
  @ApiPropertyOptional() exp?: number;
  @ApiPropertyOptional() iat?: number;
  @ApiPropertyOptional() iss?: string;
  @ApiPropertyOptional() aud?: string;
  @ApiPropertyOptional({ type: [String] }) amr?: string[];
  @ApiPropertyOptional() client_id?: string;
}
