import 'reflect-metadata';
import { Controller, Get, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import type { AuthorizationService, Grants } from './authorization.service.js';
import { PermissionsGuard } from './permissions.guard.js';
import { NotWhileImpersonating } from './not-while-impersonating.decorator.js';
import { RequirePermissions } from './require-permissions.decorator.js';
import type { Permission } from './permissions.js';

@Controller()
@RequirePermissions('roles:read')
class RolesLikeController {
  @Get()
  list(): void {}

  @Get()
  @RequirePermissions('roles:write')
  change(): void {}
}

@Controller()
class OpenController {
  @Get()
  me(): void {}

  @Get()
  @NotWhileImpersonating('change the password')
  changePassword(): void {}
}

const impersonated = (userId: string) => ({ userId, actor: 'admin-id' });
const refusal = (detail: string): unknown =>
  expect.objectContaining({
    problem: expect.objectContaining({
      status: 403,
      code: 'impersonation-forbidden',
      detail: expect.stringContaining(detail),
    }),
  });

function contextFor(
  controller: new () => object,
  handler: string,
  user?: { userId: string; actor?: string },
): ExecutionContext {
  return {
    getHandler: () => (controller.prototype as Record<string, unknown>)[handler],
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => ({ user }) }),
  } as unknown as ExecutionContext;
}

/** Grants from a plain table; counts lookups to prove open routes never ask. */
function guardWith(granted: Record<string, Permission[]>) {
  const calls = { lookups: 0 };
  const authorization = {
    grantsOf: (userId: string): Grants => {
      calls.lookups += 1;
      return { roles: [], permissions: new Set(granted[userId] ?? []), permissionList: [] };
    },
  } as unknown as AuthorizationService;
  return { guard: new PermissionsGuard(new Reflector(), authorization), calls };
}

describe('PermissionsGuard', () => {
  it('lets a route without requirements through without looking up any grants', () => {
    const { guard, calls } = guardWith({});
    expect(guard.canActivate(contextFor(OpenController, 'me', { userId: 'u' }))).toBe(true);
    expect(calls.lookups).toBe(0);
  });

  it('answers 403 forbidden naming the missing permission', () => {
    const { guard } = guardWith({ u: ['users:read'] });
    expect(() =>
      guard.canActivate(contextFor(RolesLikeController, 'list', { userId: 'u' })),
    ).toThrow(
      expect.objectContaining({
        problem: expect.objectContaining({
          status: 403,
          code: 'forbidden',
          detail: expect.stringContaining('`roles:read`'),
        }),
      }),
    );
  });

  it('requires both the class and the handler permissions', () => {
    const { guard } = guardWith({ u: ['roles:read'], w: ['roles:read', 'roles:write'] });
    expect(() =>
      guard.canActivate(contextFor(RolesLikeController, 'change', { userId: 'u' })),
    ).toThrow(
      expect.objectContaining({
        problem: expect.objectContaining({ detail: expect.stringContaining('roles:write') }),
      }),
    );
    expect(guard.canActivate(contextFor(RolesLikeController, 'change', { userId: 'w' }))).toBe(
      true,
    );
  });

  it('refuses a protected route reached without a principal with 401', () => {
    const { guard } = guardWith({});
    expect(() => guard.canActivate(contextFor(RolesLikeController, 'list'))).toThrow(
      expect.objectContaining({ problem: expect.objectContaining({ status: 401 }) }),
    );
  });

  it('refuses a @NotWhileImpersonating route to an impersonated session only, naming it', () => {
    const { guard, calls } = guardWith({});
    expect(guard.canActivate(contextFor(OpenController, 'changePassword', { userId: 'u' }))).toBe(
      true,
    );
    expect(() =>
      guard.canActivate(contextFor(OpenController, 'changePassword', impersonated('u'))),
    ).toThrow(refusal('change the password'));
    expect(guard.canActivate(contextFor(OpenController, 'me', impersonated('u')))).toBe(true);
    expect(calls.lookups).toBe(0);
  });

  it('refuses every route needing a permission to an impersonated session, granted or not', () => {
    const { guard } = guardWith({ u: ['roles:read'] });
    expect(() =>
      guard.canActivate(contextFor(RolesLikeController, 'list', impersonated('u'))),
    ).toThrow(refusal('administration API'));
  });
});
