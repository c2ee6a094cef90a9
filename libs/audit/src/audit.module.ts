import { Module } from '@nestjs/common';
import { UserAuditController } from './audit.controller';
import { AuditListener } from './audit.listener';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/** The audit trail. Depends on no other context's services: it only listens to domain events. */
@Module({
  controllers: [UserAuditController],
  providers: [AuditRepository, AuditListener, AuditService],
  exports: [AuditService],
})
export class AuditModule {}
