import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '@app/common';

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 254 }) email: string;
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true }) passwordHash: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) name: string | null;
  @Column({ type: 'varchar', length: 16, default: 'user' }) role: Role;
  @Column({ name: 'email_verified_at', type: 'timestamptz', precision: 3, nullable: true }) emailVerifiedAt: Date | null;
  @Column({ name: 'is_active', type: 'boolean', default: true }) isActive: boolean;
  @Column({ name: 'password_changed_at', type: 'timestamptz', precision: 3, nullable: true }) passwordChangedAt: Date | null;
  @Column({ name: 'last_signin_at', type: 'timestamptz', precision: 3, nullable: true }) lastSigninAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 }) updatedAt: Date;
  /** bumped by a trigger on every update: orders the cached copies of this row (access state, profile) */
  @Column({ type: 'bigint', default: 1 }) version: number;
}
