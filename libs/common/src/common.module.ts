import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Clock, SystemClock } from './util/clock';
import { DomainEvents } from './events/domain-events';
import { AccessChangeNotifier } from './events/access-change-notifier';
import { FormBodyGuard } from './http/form-body.guard';

/** Clock and domain events for everyone; the media-type guard runs before every other guard. */
@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, DomainEvents, AccessChangeNotifier, { provide: APP_GUARD, useClass: FormBodyGuard }],
  exports: [Clock, DomainEvents, AccessChangeNotifier],
})
export class CommonModule {}
