import { Module } from '@nestjs/common';
import { UsersModule } from '@app/users';
import { MfaChallenges } from './challenges/mfa-challenges';
import { MfaClaimedAccountListener } from './claimed-account.listener';
import { MfaController } from './mfa.controller';
import { MfaService } from './mfa.service';
import { PasskeysRepository } from './passkeys/passkeys.repository';
import { PasskeysService } from './passkeys/passkeys.service';
import { PasskeysController } from './passkeys.controller';
import { RecoveryCodes } from './recovery/recovery-codes';
import { TotpRepository } from './totp/totp.repository';
import { TotpService } from './totp/totp.service';

/** Second factors (TOTP, recovery codes, passkeys) and the pending second step of a sign-in. Auth asks it whether a factor is due. */
@Module({
  imports: [UsersModule],
  controllers: [MfaController, PasskeysController],
  providers: [MfaClaimedAccountListener, MfaService, MfaChallenges, TotpRepository, TotpService, RecoveryCodes, PasskeysRepository, PasskeysService],
  exports: [MfaService, MfaChallenges, PasskeysService],
})
export class MfaModule {}
