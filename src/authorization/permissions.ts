/**
 * Every permission a route can require (issue #19). Roles group them; `admin` holds all of
 * them, including any added here later, because it is resolved from this list at run time.
 */
export const PERMISSIONS = [
  'users:read',
  'users:write',
  'users:delete',
  'users:reset-password',
  'users:impersonate',
  'sessions:revoke',
  'roles:read',
  'roles:write',
  'audit:read',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

export const ADMIN_ROLE = 'admin';
export const SUPPORT_ROLE = 'support';

/** The built-in roles' permissions; `admin`'s is every permission and cannot be changed. */
export const BUILT_IN_ROLE_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  [ADMIN_ROLE]: PERMISSIONS,
  [SUPPORT_ROLE]: ['users:read', 'sessions:revoke', 'users:reset-password'],
};
