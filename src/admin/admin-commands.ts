import { Injectable } from '@nestjs/common';
import { RolesService } from '../authorization/roles.service.js';
import { UsersService } from '../users/users.service.js';
import { AdminRolesService, type AdminActor } from './admin-roles.service.js';

/** The account named on the command line does not exist. */
export class UnknownAccountError extends Error {
  constructor(login: string) {
    super(`No account has the email or username "${login}".`);
  }
}

/**
 * What `npm run admin` does (issue #19): the same rules, transaction, audit log and change
 * feed as the API, so a grant from the command line reaches every instance within a second.
 */
@Injectable()
export class AdminCommands {
  constructor(
    private readonly users: UsersService,
    private readonly roles: RolesService,
    private readonly adminRoles: AdminRolesService,
  ) {}

  async grant(actor: AdminActor, role: string, login: string): Promise<string> {
    const user = await this.accountOf(login);
    const roles = await this.adminRoles.changeUserRoles(actor, user.id, (held) => [...held, role]);
    return `${user.username} <${user.email}> now holds: ${roles.join(', ')}`;
  }

  async revoke(actor: AdminActor, role: string, login: string): Promise<string> {
    const user = await this.accountOf(login);
    const roles = await this.adminRoles.changeUserRoles(actor, user.id, (held) =>
      held.filter((name) => name !== role),
    );
    return `${user.username} <${user.email}> now holds: ${roles.join(', ') || '(no role)'}`;
  }

  async list(): Promise<string> {
    const [roles, holders] = await Promise.all([this.roles.list(), this.roles.holders()]);
    return roles
      .map((role) => {
        const names = holders
          .filter((holder) => holder.role === role.name)
          .map(({ username, email, isActive }) => {
            const disabled = isActive ? '' : ' (disabled)';
            return `  ${username} <${email}>${disabled}`;
          });
        return [`${role.name}: ${role.permissions.join(' ')}`, ...names].join('\n');
      })
      .join('\n');
  }

  private async accountOf(login: string) {
    const user = await this.users.findByLogin(login);
    if (!user) throw new UnknownAccountError(login);
    return user;
  }
}
