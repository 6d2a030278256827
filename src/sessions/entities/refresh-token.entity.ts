import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { Session } from './session.entity.js';

/**
 * Every refresh token a session was ever given, by hash only. Kept after rotation so that
 * a rotated token presented again is recognised as theft (RFC 9700 §4.14.2).
 */
@Entity({ name: 'refresh_tokens' })
@Index('IDX_refresh_tokens_session_id', ['sessionId'])
// The grace sweep (issue #23) finds the few salts still held without reading every token.
@Index('IDX_refresh_tokens_salted', ['rotatedAt'], { where: `"successor_salt" IS NOT NULL` })
export class RefreshToken {
  /** SHA-256 of the token, hex. The token itself is never stored. */
  @PrimaryColumn({
    name: 'token_hash',
    type: 'char',
    length: 64,
    primaryKeyConstraintName: 'PK_refresh_tokens',
  })
  tokenHash: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id', foreignKeyConstraintName: 'FK_refresh_tokens_session' })
  session?: Session;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Set when this token was exchanged for the next one; it is dead from then on. */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  /**
   * The random salt this token's successor was derived with (issue #23): while the reuse grace
   * runs, a replay of this token recomputes its successor from it. Cleared once the successor
   * is used or the grace has passed, so an old token leads nowhere, whatever else is known.
   */
  @Column({ name: 'successor_salt', type: 'bytea', nullable: true, select: false })
  successorSalt: Buffer | null;
}
