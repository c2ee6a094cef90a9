import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type AuthMethod = 'password' | 'google' | 'github';
export const AUTH_METHODS: readonly AuthMethod[] = ['password', 'google', 'github'];

/** One sign-in: a refresh-token family. Revoking it kills its refresh and access tokens. */
@Entity({ name: 'sessions' })
export class Session {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId: string;
  @Column({ name: 'auth_method', type: 'varchar', length: 16 }) authMethod: AuthMethod;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip: string | null;
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true }) userAgent: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @Column({ name: 'last_used_at', type: 'timestamptz', precision: 3 }) lastUsedAt: Date;
  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 }) expiresAt: Date;
  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true }) revokedAt: Date | null;
  @Column({ name: 'revoked_reason', type: 'varchar', length: 32, nullable: true }) revokedReason: string | null;
}
