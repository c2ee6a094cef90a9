import { Injectable, Logger } from '@nestjs/common';
import { AUDIT_EVENTS, type DomainEvent, OnEvents } from '@app/common';
import { AuditRepository } from './audit.repository';

/**
 * Records every domain event. Inside a transaction (event.tx set) the row commits with the
 * change, and a failure to write it fails the change: an accepted change never loses its event.
 * Events emitted outside a transaction (failed logins) are written directly.
 */
@Injectable()
export class AuditListener {
  private readonly logger = new Logger(AuditListener.name);

  constructor(private readonly audit: AuditRepository) {}

  @OnEvents(AUDIT_EVENTS, { async: false, promisify: true, suppressErrors: false })
  async record(event: DomainEvent): Promise<void> {
    try {
      await this.audit.insert(event, event.tx);
    } catch (err) {
      this.logger.error(`Could not record audit event ${event.name}: ${(err as Error).message}`);
      throw err;
    }
  }
}
