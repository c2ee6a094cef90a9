import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

/**
 * A mail accepted for delivery. `payload` holds the rendered message sealed (AES-GCM, bound to
 * the row id) because it carries live tokens; it is wiped once the mail is sent or given up.
 */
@Entity({ name: 'email_outbox' })
export class EmailOutbox {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 254 }) recipient: string;
  @Column({ type: 'varchar', length: 64 }) template: string;
  @Column({ type: 'jsonb' }) payload: { sealed?: string };
  @Column({ type: 'varchar', length: 16, default: 'pending' }) status: OutboxStatus;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3 }) nextAttemptAt: Date;
  @Column({ name: 'locked_until', type: 'timestamptz', precision: 3, nullable: true }) lockedUntil: Date | null;
  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true }) lastError: string | null;
  @Column({ name: 'provider_message_id', type: 'varchar', length: 128, nullable: true }) providerMessageId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @Column({ name: 'sent_at', type: 'timestamptz', precision: 3, nullable: true }) sentAt: Date | null;
}
