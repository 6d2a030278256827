import { describe, expect, it } from 'vitest';
import { SESSION_REVOCATION_REASONS } from '../sessions/entities/session.entity.js';
import { DEVICES_FORGOTTEN_BY, forgetsDevices } from './device-forgetting.js';

describe('DEVICES_FORGOTTEN_BY', () => {
  it('names only session revocation reasons, so SessionsService can apply every one', () => {
    for (const reason of DEVICES_FORGOTTEN_BY) expect(SESSION_REVOCATION_REASONS).toContain(reason);
  });

  it('forgets devices when the owner suspects someone else, not at a plain logout', () => {
    expect(forgetsDevices('logout_all')).toBe(true);
    expect(forgetsDevices('password_reset')).toBe(true);
    expect(forgetsDevices('password_changed')).toBe(true);
    expect(forgetsDevices('account_deleted')).toBe(true);
    // One session ending says nothing about the device: the next login from it is still known.
    expect(forgetsDevices('logout')).toBe(false);
    expect(forgetsDevices('refresh_token_reuse')).toBe(false);
  });
});
