/**
 * The admin user listing on a large table (issue #19): `GET /admin/users` against
 * BENCH_LISTING_USERS accounts (100,000 by default), seeded straight into PostgreSQL (signing
 * up that many through bcrypt would take hours). Needs a PostgreSQL server (DATABASE_URL): the
 * embedded database belongs to the service's process and cannot be seeded from outside.
 *
 * Each connection cycles through what an operator does: the newest accounts, a prefix search,
 * a role filter, and the next page of the listing by username (its cursor taken from the
 * previous answer), so deep keyset pages are measured, not only the first.
 */
import { randomBytes } from 'node:crypto';
import type { Options } from 'autocannon';
import pg from 'pg';

/** bcrypt-shaped and never matched: nobody logs in to a seeded account. */
const UNUSABLE_HASH = `$2b$12$${'.'.repeat(53)}`;
const BATCH = 10_000;

/**
 * Inserts `count` accounts named `list.<tag>.<n>`, created a second apart, one in a hundred
 * holding `support` and one in ten verified; and gives the account of `operatorEmail` the
 * `admin` role.
 */
export async function seedListingUsers(
  databaseUrl: string,
  count: number,
  operatorEmail: string,
): Promise<string> {
  const tag = randomBytes(3).toString('hex');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let start = 0; start < count; start += BATCH) {
      const end = Math.min(start + BATCH, count) - 1;
      // The skeleton is left null (allowed for accounts older than the look-alike rule): the
      // listing never reads it, and its unique index would only slow the seeding.
      await client.query(
        `INSERT INTO users (id, email, username, username_normalized, username_skeleton,
                            password_hash, email_verified, created_at)
         SELECT gen_random_uuid(), 'list.' || $1 || '.' || n || '@example.com',
                'list_' || $1 || '_' || n, 'list_' || $1 || '_' || n, NULL,
                $4, n % 10 = 0, now() - n * interval '1 second'
         FROM generate_series($2::int, $3::int) AS n`,
        [tag, start, end, UNUSABLE_HASH],
      );
    }
    await client.query(
      `INSERT INTO user_roles (user_id, role_id)
       SELECT u.id, r.id FROM users u, roles r
       WHERE r.name = 'support' AND u.username_normalized LIKE $1
         AND split_part(u.username_normalized, '_', 3)::int % 100 = 0`,
      [`list\\_${tag}\\_%`],
    );
    await client.query(
      `INSERT INTO user_roles (user_id, role_id)
       SELECT u.id, r.id FROM users u, roles r WHERE u.email = $1 AND r.name = 'admin'
       ON CONFLICT DO NOTHING`,
      [operatorEmail],
    );
    await client.query('ANALYZE users');
    await client.query('ANALYZE user_roles');
  } finally {
    await client.end();
  }
  return tag;
}

/** The requests each connection cycles through; see the file's comment. */
export function listingRequests(accessToken: string, tag: string): Options['requests'] {
  const headers = { authorization: `Bearer ${accessToken}` };
  let cursor: string | null = null;
  return [
    { method: 'GET', path: '/admin/users?limit=50', headers },
    { method: 'GET', path: `/admin/users?q=list.${tag}.12&limit=50`, headers },
    { method: 'GET', path: '/admin/users?role=support&limit=50', headers },
    {
      method: 'GET',
      path: '/admin/users?sort=username&order=asc&limit=50',
      headers,
      setupRequest: (request) => ({
        ...request,
        path: `/admin/users?sort=username&order=asc&limit=50${
          cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
        }`,
      }),
      onResponse: (status, body) => {
        if (status === 200)
          cursor = (JSON.parse(body) as { next_cursor: string | null }).next_cursor;
      },
    },
  ];
}
