import { Injectable } from '@nestjs/common';
import { decodeCursor, Page, toPage } from '@app/common';
import { AuditFilter, AuditRepository } from './audit.repository';
import { AuditEventDto } from './dto/audit-event.dto';

/** Reads the audit trail; writing happens only through domain events (AuditListener). */
@Injectable()
export class AuditService {
  constructor(private readonly repo: AuditRepository) {}

  async page(filter: Omit<AuditFilter, 'cursor'> & { cursor?: string }): Promise<Page<AuditEventDto>> {
    const rows = await this.repo.list({ ...filter, cursor: filter.cursor ? decodeCursor(filter.cursor) : undefined });
    return toPage(rows, filter.limit, AuditEventDto.from);
  }

  /**
   * The events whose target is this user (GET /users/audit). When someone else acted on them (an
   * admin), that actor's session id, address and user agent are left out: they identify the
   * admin's live session. Anonymous actors (a reset request, a lockout) keep them: they are the
   * user's own security information.
   */
  async pageForUser(userId: string, limit: number, cursor?: string): Promise<Page<AuditEventDto>> {
    const page = await this.page({ targetUserId: userId, limit, cursor });
    for (const e of page.items) {
      if (e.actor_id !== null && e.actor_id !== userId) Object.assign(e, { session_id: null, ip: null, user_agent: null });
    }
    return page;
  }
}
