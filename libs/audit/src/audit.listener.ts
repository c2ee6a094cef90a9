import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { AUDIT_EVENTS, type DomainEvent } from '@app/common';
import { AuditRepository } from './audit.repository';

/**
 * Records every domain event. Inside a transaction (event.tx set) the row commits with the
 * change, and a failure to write it fails the change: an accepted change never loses its event.
 * Events emitted outside a transaction (failed logins) are written directly.
 */
/** One listener for several events (EventEmitter2 reads an array as one namespaced name). */
function OnEvents(names: readonly string[], options: Parameters<typeof OnEvent>[1]): MethodDecorator {
  return (target, key, descriptor) => {
    for (const name of names) OnEvent(name, options)(target, key, descriptor);
    return descriptor;
  };
}

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
