import type { Session } from './entities/session.entity.js';

/** An administrator's session as the user (issue #19): its tokens name them and end with it. */
export interface SessionImpersonation {
  actorId: string;
  endsAt: Date;
}

export type RotationOutcome =
  | {
      kind: 'rotated';
      session: Session;
      refreshToken: string;
      impersonation?: SessionImpersonation;
    }
  /**
   * A token rotated moments ago came back within REFRESH_REUSE_GRACE_SECONDS while its
   * successor was still unused (issue #23): the same successor, answered again.
   */
  | {
      kind: 'replayed';
      session: Session;
      refreshToken: string;
      impersonation?: SessionImpersonation;
    }
  /** Never issued, or pruned long ago. */
  | { kind: 'unknown' }
  /** The session was revoked or has expired. */
  | { kind: 'ended' }
  /** The account is disabled; the token was left unused. */
  | { kind: 'account-disabled' }
  /** An already-rotated token came back: someone holds a copy. The session is now revoked. */
  | { kind: 'reused'; sessionId: string; userId: string };

export function impersonationOf(session: Session): SessionImpersonation | undefined {
  return session.impersonated && session.impersonatorId !== null
    ? { actorId: session.impersonatorId, endsAt: session.expiresAt }
    : undefined;
}

/** Why a locked session cannot be refreshed at all, before any token of it is claimed. */
export function refusalOf(session: Session): RotationOutcome | null {
  if (!session.isLive()) return { kind: 'ended' };
  // Its administrator's account is gone: nobody is left for its tokens' `act` to name.
  if (session.impersonated && session.impersonatorId === null) return { kind: 'ended' };
  // Checked before the token is claimed, so the client can retry once re-enabled.
  if (!session.user?.isActive) return { kind: 'account-disabled' };
  return null;
}
