import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One refresh token of a session, stored only as its SHA-256. `successorSealed` holds the child
 * token encrypted (AES-GCM) for the concurrent-refresh grace window only; purged after it.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'session_id', type: 'uuid' }) sessionId: string;
  @Column({ name: 'token_hash', type: 'char', length: 64 }) tokenHash: string;
  @Column({ name: 'parent_id', type: 'uuid', nullable: true }) parentId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true }) usedAt: Date | null;
  @Column({ name: 'successor_sealed', type: 'text', nullable: true }) successorSealed: string | null;
}
