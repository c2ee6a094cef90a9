export * from './mfa.module';
export * from './mfa.service';
export * from './challenges/mfa-challenges';
export * from './dto/mfa.dto';
export * from './errors';
export * from './passkeys/passkeys.service';
export * from './dto/passkey.dto';
