/**
 * Every permission a route can require (issue #19). Roles group them; `admin` holds all of
 * them, including any added here later, because it is resolved from this list at run time.
 */
export const PERMISSIONS = [
  'users:read',
  'users:write',
  'users:delete',
  'users:reset-password',
  'users:reset-mfa',
  'users:impersonate',
  'sessions:revoke',
  'roles:read',
  'roles:write',
  'audit:read',
  'keys:read',
  'keys:write',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export const ADMIN_ROLE = 'admin';

/**
 * Lower-case letter first, then 1 to 39 of `a-z 0-9 _ -`: safe in URLs, logs and claims.
 * Here, not with the DTOs: the settings naming roles (MFA_REQUIRED_ROLES) check it too.
 */
export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]{1,39}$/;
export const SUPPORT_ROLE = 'support';

/** The built-in roles' permissions; `admin`'s is every permission and cannot be changed. */
export const BUILT_IN_ROLE_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  [ADMIN_ROLE]: PERMISSIONS,
  [SUPPORT_ROLE]: ['users:read', 'sessions:revoke', 'users:reset-password'],
};
