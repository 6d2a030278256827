import { ProblemException } from '../common/problem.exception.js';

/** 403, not 401: the token is fine, the account lacks a permission (issue #19). */
export class MissingPermissionError extends ProblemException {
  constructor(readonly permission: string) {
    super({
      status: 403,
      code: 'forbidden',
      title: 'Forbidden',
      detail: `This needs the permission \`${permission}\`, which none of your roles grants.`,
    });
  }
}

/**
 * An account may only be changed by one holding every permission it holds: else `users:write`
 * could change an administrator's email, reset the password and take the account over.
 */
export class TargetOutranksActorError extends ProblemException {
  constructor() {
    super({
      status: 403,
      code: 'target-outranks-actor',
      title: 'Forbidden',
      detail:
        'This account holds (or would hold) permissions that none of your roles grants: only an account holding all of them can do this.',
    });
  }
}

/** The last active administrator cannot lose the role, be disabled or be deleted (issue #19). */
export class LastAdministratorError extends ProblemException {
  constructor() {
    super({
      status: 409,
      code: 'last-administrator',
      title: 'Conflict',
      detail: 'This is the only active administrator: make another account an administrator first.',
    });
  }
}

/** A role name that matches no role, given where roles are assigned. */
export class UnknownRoleError extends ProblemException {
  constructor(field: string, name: string) {
    super({
      status: 422,
      code: 'unknown-role',
      title: 'Unprocessable Content',
      detail: `There is no role named "${name}".`,
      errors: [{ field, message: `no role named "${name}"` }],
    });
  }
}

/** A permission the code does not define: the list is in GET /admin/roles and docs/api.md. */
export class UnknownPermissionError extends ProblemException {
  constructor(field: string, permission: string) {
    super({
      status: 422,
      code: 'unknown-permission',
      title: 'Unprocessable Content',
      detail: `There is no permission named "${permission}".`,
      errors: [{ field, message: `no permission named "${permission}"` }],
    });
  }
}

export class RoleNotFoundError extends ProblemException {
  constructor(name: string) {
    super({
      status: 404,
      code: 'role-not-found',
      title: 'Not Found',
      detail: `There is no role named "${name}".`,
    });
  }
}

export class RoleNameTakenError extends ProblemException {
  constructor(name: string) {
    super({
      status: 409,
      code: 'role-name-taken',
      title: 'Conflict',
      detail: `A role named "${name}" already exists.`,
    });
  }
}

/** `admin` and `support` are seeded by a migration and named in code: they stay as they are. */
export class BuiltInRoleError extends ProblemException {
  constructor(name: string, change: string) {
    super({
      status: 409,
      code: 'built-in-role',
      title: 'Conflict',
      detail: `"${name}" is a built-in role: it cannot be ${change}.`,
    });
  }
}

/** Deleting a role someone holds would silently take their permissions away. */
export class RoleInUseError extends ProblemException {
  constructor(name: string, holders: number) {
    super({
      status: 409,
      code: 'role-in-use',
      title: 'Conflict',
      detail: `${holders} account(s) hold the role "${name}": pass ?reassign_to=<role> to move them to another role first.`,
    });
  }
}

/**
 * A session an administrator opened as the user (issue #19) carries no right to take the
 * account over or to act as an administrator; `detail` names what was refused.
 */
export class ImpersonationForbiddenError extends ProblemException {
  constructor(readonly action: string) {
    super({
      status: 403,
      code: 'impersonation-forbidden',
      title: 'Forbidden',
      detail: `An impersonated session cannot ${action}.`,
    });
  }
}
