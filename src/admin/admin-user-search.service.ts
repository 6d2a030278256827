import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { InvalidCursorError, SignedCursorCodec } from '../common/signed-cursor.js';
import type { Configuration } from '../config/configuration.js';
import { loginLookupKey } from '../users/login-lookup-key.js';
import type { AdminUserView } from './dto/admin-user-response.dto.js';
import type { AdminUserSort } from './dto/list-admin-users-query.dto.js';

export interface AdminUserSearch {
  q?: string;
  active?: boolean;
  verified?: boolean;
  role?: string;
  createdBefore?: Date;
  createdAfter?: Date;
  sort: AdminUserSort;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

export interface AdminUserPage {
  users: AdminUserView[];
  nextCursor: string | null;
}

/** Where the last page ended: its sort key, the id (for created_at), and the query's digest. */
interface Position {
  query: string;
  key: string;
  id: string;
}
const isPosition = (value: unknown): value is Position => {
  const position = value as Position;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof position.query === 'string' &&
    typeof position.key === 'string' &&
    typeof position.id === 'string'
  );
};

/** The column each sort pages along; email and username_normalized are unique by themselves. */
const SORT_KEY: Record<AdminUserSort, string> = {
  created_at: 'u.created_at',
  username: 'u.username_normalized',
  email: 'u.email',
};

interface Row {
  id: string;
  email: string;
  username: string;
  is_active: boolean;
  email_verified: boolean;
  disabled_until: Date | null;
  created_at: Date;
  updated_at: Date;
  roles: string[];
  sort_key: string;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/**
 * The admin listing (issue #19): a read across users and their roles, so it queries both
 * tables itself rather than through their services, and never writes. Keyset pages (never
 * OFFSET) along indexes (migration AddUserBansAndListingIndexes), so a page costs the same on
 * page 1 and page 2,000, and rows inserted meanwhile neither repeat nor push others out.
 */
@Injectable()
export class AdminUserSearchService {
  private readonly cursors: SignedCursorCodec<Position>;

  constructor(
    private readonly dataSource: DataSource,
    config: ConfigService<Configuration, true>,
  ) {
    const secret = config.get('tokens', { infer: true }).jwtSecret;
    this.cursors = new SignedCursorCodec(secret, 'admin-users', isPosition);
  }

  async search(search: AdminUserSearch): Promise<AdminUserPage> {
    const params: unknown[] = [];
    const bind = (value: unknown) => `$${params.push(value)}`;
    const where = this.filters(search, bind);
    const key = SORT_KEY[search.sort];
    const direction = search.order === 'asc' ? 'ASC' : 'DESC';
    const after = search.order === 'asc' ? '>' : '<';
    const digest = this.digest(search);
    if (search.cursor !== undefined) {
      const position = this.cursors.decode(search.cursor);
      // A cursor answers one query: with other filters or another order it would skip rows.
      if (position.query !== digest) throw new InvalidCursorError();
      where.push(
        search.sort === 'created_at'
          ? `(u.created_at, u.id) ${after} (${bind(position.key)}::timestamptz, ${bind(position.id)}::uuid)`
          : `${key} ${after} ${bind(position.key)}`,
      );
    }
    const rows = await this.dataSource.query<Row[]>(
      `SELECT u.id, u.email, u.username, u.is_active, u.email_verified, u.disabled_until,
              u.created_at, u.updated_at, ${key}::text AS sort_key,
              ARRAY(SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                    WHERE ur.user_id = u.id ORDER BY r.name) AS roles
       FROM users u
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ${key} ${direction}, u.id ${direction}
       LIMIT ${bind(search.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, search.limit);
    const last = page.at(-1);
    return {
      users: page.map(toView),
      nextCursor:
        rows.length > search.limit && last
          ? this.cursors.encode({ query: digest, key: last.sort_key, id: last.id })
          : null,
    };
  }

  private filters(search: AdminUserSearch, bind: (value: unknown) => string): string[] {
    const where: string[] = [];
    if (search.q !== undefined) {
      // Both columns are stored folded as loginLookupKey folds: a prefix of either matches.
      const prefix = bind(`${escapeLike(loginLookupKey(search.q))}%`);
      where.push(`(u.email LIKE ${prefix} OR u.username_normalized LIKE ${prefix})`);
    }
    if (search.active !== undefined) where.push(`u.is_active = ${bind(search.active)}`);
    if (search.verified !== undefined) where.push(`u.email_verified = ${bind(search.verified)}`);
    if (search.role !== undefined) {
      where.push(
        `EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                 WHERE ur.user_id = u.id AND r.name = ${bind(search.role)})`,
      );
    }
    if (search.createdBefore) where.push(`u.created_at < ${bind(search.createdBefore)}`);
    if (search.createdAfter) where.push(`u.created_at > ${bind(search.createdAfter)}`);
    return where;
  }

  /** The query a cursor belongs to: everything but the cursor and the page size. */
  private digest({ cursor: _cursor, limit: _limit, ...query }: AdminUserSearch): string {
    return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 22);
  }
}

function toView(row: Row): AdminUserView {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    isActive: row.is_active,
    emailVerified: row.email_verified,
    disabledUntil: row.disabled_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    roles: row.roles,
  };
}
