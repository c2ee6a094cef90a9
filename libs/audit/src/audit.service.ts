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
}
