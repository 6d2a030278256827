import type { DataSourceOptions } from 'typeorm';
import { InitialSchema1795559293881 } from '../../migrations/1795559293881-InitialSchema.js';
import { IndexRevokedSessions1795561950444 } from '../../migrations/1795561950444-IndexRevokedSessions.js';
import { TrackUserChanges1795562624429 } from '../../migrations/1795562624429-TrackUserChanges.js';
import { AddLoginFailures1795566744464 } from '../../migrations/1795566744464-AddLoginFailures.js';
import { AddSecurityEvents1795566744465 } from '../../migrations/1795566744465-AddSecurityEvents.js';
import { AddEmailVerified1795567948490 } from '../../migrations/1795567948490-AddEmailVerified.js';
import { AddAccountTokens1795567948491 } from '../../migrations/1795567948491-AddAccountTokens.js';
import { PunycodeEmailDomains1796123762830 } from '../../migrations/1796123762830-PunycodeEmailDomains.js';
import { AddUsernameSkeleton1796123762831 } from '../../migrations/1796123762831-AddUsernameSkeleton.js';
import { AddRoles1796200000000 } from '../../migrations/1796200000000-AddRoles.js';
import { AddAuditEntries1796200000001 } from '../../migrations/1796200000001-AddAuditEntries.js';
import { CountRoleChanges1796200000010 } from '../../migrations/1796200000010-CountRoleChanges.js';
import { AddSecurityEventAdministrator1796200000011 } from '../../migrations/1796200000011-AddSecurityEventAdministrator.js';
import { AddUserBansAndListingIndexes1796200000012 } from '../../migrations/1796200000012-AddUserBansAndListingIndexes.js';
import { AddImpersonatedSessions1796200000020 } from '../../migrations/1796200000020-AddImpersonatedSessions.js';
import { AddSecondFactor1796300000000 } from '../../migrations/1796300000000-AddSecondFactor.js';
import { AddSessionMfaEnrolmentRequired1796300000050 } from '../../migrations/1796300000050-AddSessionMfaEnrolmentRequired.js';
import { AddKnownDevices1796400000000 } from '../../migrations/1796400000000-AddKnownDevices.js';
import { Identity } from '../federation/entities/identity.entity.js';
import { OAuthLoginCode } from '../federation/entities/oauth-login-code.entity.js';
import { OAuthState } from '../federation/entities/oauth-state.entity.js';
import { AddIdentities1796500000000 } from '../../migrations/1796500000000-AddIdentities.js';
import { AddSigningKeys1796600000000 } from '../../migrations/1796600000000-AddSigningKeys.js';
import { AccountToken } from '../account-tokens/entities/account-token.entity.js';
import { AuditEntry } from '../audit/entities/audit-entry.entity.js';
import { Role } from '../authorization/entities/role.entity.js';
import { RolePermission } from '../authorization/entities/role-permission.entity.js';
import { UserRole } from '../authorization/entities/user-role.entity.js';
import { MfaChallenge } from '../mfa/entities/mfa-challenge.entity.js';
import { MfaFactor } from '../mfa/entities/mfa-factor.entity.js';
import { MfaRecoveryCode } from '../mfa/entities/mfa-recovery-code.entity.js';
import { KnownDevice } from '../devices/entities/known-device.entity.js';
import { LoginFailure } from '../login-backoff/entities/login-failure.entity.js';
import { SecurityEvent } from '../security-events/entities/security-event.entity.js';
import { RefreshToken } from '../sessions/entities/refresh-token.entity.js';
import { Session } from '../sessions/entities/session.entity.js';
import { SigningKey } from '../tokens/signing-keys/entities/signing-key.entity.js';
import { User } from '../users/entities/user.entity.js';
import { WebhookDelivery } from '../webhooks/entities/webhook-delivery.entity.js';
import { WebhookEndpoint } from '../webhooks/entities/webhook-endpoint.entity.js';
import { WebhookEvent } from '../webhooks/entities/webhook-event.entity.js';
import { AddWebhooks1796700000000 } from '../../migrations/1796700000000-AddWebhooks.js';
import { SealWebhookSecrets1796700000010 } from '../../migrations/1796700000010-SealWebhookSecrets.js';
import { AddRefreshTokenSuccessorSalt1796800000000 } from '../../migrations/1796800000000-AddRefreshTokenSuccessorSalt.js';
import { QuietTypeOrmLogger } from './quiet-typeorm.logger.js';

export const ENTITIES = [
  User,
  Session,
  RefreshToken,
  LoginFailure,
  SecurityEvent,
  AccountToken,
  Role,
  RolePermission,
  UserRole,
  AuditEntry,
  MfaFactor,
  MfaRecoveryCode,
  MfaChallenge,
  KnownDevice,
  Identity,
  OAuthState,
  OAuthLoginCode,
  SigningKey,
  WebhookEndpoint,
  WebhookEvent,
  WebhookDelivery,
];

/**
 * Listed, not globbed: the TypeORM CLI, the built app and the test runner load the same
 * classes, and a migration left off this list shows up as drift in `npm run migration:check`.
 */
export const MIGRATIONS = [
  InitialSchema1795559293881,
  IndexRevokedSessions1795561950444,
  TrackUserChanges1795562624429,
  AddLoginFailures1795566744464,
  AddSecurityEvents1795566744465,
  AddEmailVerified1795567948490,
  AddAccountTokens1795567948491,
  PunycodeEmailDomains1796123762830,
  AddUsernameSkeleton1796123762831,
  AddRoles1796200000000,
  AddAuditEntries1796200000001,
  CountRoleChanges1796200000010,
  AddSecurityEventAdministrator1796200000011,
  AddUserBansAndListingIndexes1796200000012,
  AddImpersonatedSessions1796200000020,
  AddSecondFactor1796300000000,
  AddSessionMfaEnrolmentRequired1796300000050,
  AddKnownDevices1796400000000,
  AddIdentities1796500000000,
  AddSigningKeys1796600000000,
  AddWebhooks1796700000000,
  SealWebhookSecrets1796700000010,
  AddRefreshTokenSuccessorSalt1796800000000,
];

export interface ConnectionSettings {
  url: string;
  poolSize: number;
}

/** The single source of DataSource options for the app, the CLI (ormconfig.ts) and the tests. */
export function dataSourceOptions({ url, poolSize }: ConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logger: new QuietTypeOrmLogger(),
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5_000,
      // Fail a request instead of holding a connection forever when the server stops answering.
      query_timeout: 15_000,
    },
  };
}
