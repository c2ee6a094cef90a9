import { Module } from '@nestjs/common';
import { SessionsModule } from '@app/sessions';
import { IntrospectionController } from './introspection.controller';
import { ServiceClients } from './service-clients';
import { SigningKeysController } from './signing-keys.controller';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeys } from './signing-keys.service';
import { TokenCodec } from './token-codec';
import { WellKnownController } from './well-known.controller';

/** Signing keys (JWKS, rotation), the access-token codec auth signs and verifies with, and introspection for other services. */
@Module({
  imports: [SessionsModule],
  controllers: [WellKnownController, SigningKeysController, IntrospectionController],
  providers: [SigningKeysRepository, SigningKeys, TokenCodec, ServiceClients],
  exports: [SigningKeys, TokenCodec],
})
export class KeysModule {}
