import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './util/clock';
import { DomainEvents } from './events/domain-events';

@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, DomainEvents],
  exports: [Clock, DomainEvents],
})
export class CommonModule {}
