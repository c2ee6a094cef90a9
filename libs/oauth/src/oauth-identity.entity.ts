import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { OAuthProviderName } from './oauth-provider';

/** A provider account linked to a user: at most one per provider per user, one user per account. */
@Entity({ name: 'oauth_identities' })
export class OAuthIdentity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId: string;
  @Column({ type: 'varchar', length: 16 }) provider: OAuthProviderName;
  @Column({ name: 'provider_user_id', type: 'varchar', length: 255 }) providerUserId: string;
  @Column({ type: 'varchar', length: 254, nullable: true }) email: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
}
