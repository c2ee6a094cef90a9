import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Matches } from 'class-validator';

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
