import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches } from 'class-validator';
import type { UserFactors } from '../mfa.service';
import { PasskeyDto } from './passkey.dto';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/\s/g, '') : value);

export class TotpSetupDto {
  @ApiProperty({ description: 'base32 secret, for manual entry in an authenticator app' }) secret: string;
  @ApiProperty({ example: 'otpauth://totp/Identity:ada%40example.com?secret=…&issuer=Identity&algorithm=SHA1&digits=6&period=30' })
  otpauth_uri: string;
  @ApiProperty({ description: 'the otpauth URI as a QR code (SVG markup)' }) qr_svg: string;
}

export class TotpCodeDto {
  @ApiProperty({ example: '123456', description: '6 digits from the authenticator app' })
  @Transform(trim)
  @IsString()
  @Matches(/^\d{6}$/, { message: 'must be 6 digits' })
  code: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: '10 single-use codes, shown once; a new set replaces the old one' })
  recovery_codes: string[];
}

/** A user's enrolled factors, as an admin sees them: never a secret, a code or a credential key (v1.2, console). */
export class UserFactorsDto {
  @ApiProperty({ description: 'TOTP is active (a setup not yet confirmed does not count)' }) totp_enabled: boolean;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10, description: 'unused recovery codes' }) recovery_codes_remaining: number;
  @ApiProperty({ type: [PasskeyDto], description: 'every passkey of the user, newest first' }) passkeys: PasskeyDto[];

  static from(f: UserFactors): UserFactorsDto {
    return { totp_enabled: f.totpEnabled, recovery_codes_remaining: f.recoveryCodesRemaining, passkeys: f.passkeys.map(PasskeyDto.from) };
  }
}
