/** A row of `audit_events`. */
export class AuditEvent {
  id: string;
  event: string;
  outcome: 'success' | 'failure';
  actorId: string | null;
  targetUserId: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

const AUDIT_FIELDS = ['id', 'event', 'outcome', 'actor_id', 'target_user_id', 'session_id', 'ip', 'user_agent', 'metadata', 'created_at'] as const;

/** The columns `auditEventFromRow` reads, qualified by `alias`. */
export function auditEventColumns(alias: string): string {
  return AUDIT_FIELDS.map((c) => `${alias}.${c}`).join(', ');
}

export function auditEventFromRow(r: Record<string, unknown>): AuditEvent {
  const e = new AuditEvent();
  e.id = r.id as string;
  e.event = r.event as string;
  e.outcome = r.outcome as AuditEvent['outcome'];
  e.actorId = (r.actor_id as string | null) ?? null;
  e.targetUserId = (r.target_user_id as string | null) ?? null;
  e.sessionId = (r.session_id as string | null) ?? null;
  e.ip = (r.ip as string | null) ?? null;
  e.userAgent = (r.user_agent as string | null) ?? null;
  e.metadata = (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata) as Record<string, unknown>;
  e.createdAt = new Date(r.created_at as string | Date);
  return e;
}
