import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type OneTimeTokenPurpose = 'verify_email' | 'reset_password';

/** A single-use token sent by mail; only its SHA-256 is stored. */
@Entity({ name: 'one_time_tokens' })
export class OneTimeToken {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId: string;
  @Column({ type: 'varchar', length: 32 }) purpose: OneTimeTokenPurpose;
  @Column({ name: 'token_hash', type: 'char', length: 64 }) tokenHash: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 }) expiresAt: Date;
  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true }) usedAt: Date | null;
}
