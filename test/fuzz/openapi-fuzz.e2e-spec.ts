/**
 * Fuzzing from the app's own OpenAPI document (issue #6): every operation gets generated
 * and mutated requests (valid, boundary and hostile values, wrong types, huge strings, odd
 * Unicode, missing and extra fields, random headers). Whatever comes in, the service never
 * answers 5xx, every error is problem details, and every 2xx body matches its schema.
 * FUZZ_RUNS sets the number of requests in all (CI: the default; locally, as many as you like).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../create-test-app.js';
import { signUpAndLogIn } from '../factories/user.factory.js';

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

type Schema = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  operationId: string;
  parameters?: { name: string; in: 'path' | 'query' }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
  components: { schemas: Record<string, Schema> };
}

/** OpenAPI 3.0's `nullable` as JSON Schema, and refs pointed at the registered document. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const { nullable, ...rest } = schema as Schema;
  const converted = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [
      key,
      key === '$ref' ? `openapi${String(value)}` : toJsonSchema(value),
    ]),
  );
  if (!nullable) return converted;
  return { anyOf: [converted, { type: 'null' }] };
}

// Values chosen to break parsers, validators, SQL and Unicode handling.
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.constantFrom(
    '',
    ' ',
    "' OR '1'='1",
    '%',
    '_%',
    '\\',
    '\u0000',
    'a\u0000b',
    '\uD800',
    '\uFFFF',
    '𝕒𝕕𝕞𝕚𝕟',
    'ＡＤＭＩＮ',
    'ß'.repeat(40),
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
    'x'.repeat(300),
    'é'.repeat(5000),
    'a@b',
    // A valid address; not the README's user@example.com, whose curl examples, run by another
    // suite on the same database, must be able to sign it up.
    'fuzz@example.com',
    'A'.repeat(43),
  ),
);
const anyJson = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

/**
 * encodeURIComponent, except that an unpaired surrogate (which it cannot encode) is sent as
 * the UTF-8 bytes of one, %ED%A0%80: the server's URL decoding gets fuzzed too.
 */
const encodeHostile = (value: string) =>
  value
    .split(/(\p{Cs})/u)
    .map((part) => (/^\p{Cs}$/u.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');

/** Plausible values per field name, so that some requests get past validation. */
function plausibleValue(field: string): fc.Arbitrary<unknown> {
  if (/email/.test(field)) return fc.oneof(fc.emailAddress(), hostileString);
  if (/password/.test(field))
    return fc.oneof(fc.string({ minLength: 8, maxLength: 40 }), hostileString);
  if (/token/.test(field)) return fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), hostileString);
  if (field === 'username')
    return fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{3,32}$/), hostileString);
  return hostileString;
}

function bodyFor(schema: Schema | undefined): fc.Arbitrary<unknown> {
  const properties = Object.keys((schema?.properties as Schema | undefined) ?? {});
  const plausible = fc.record(
    Object.fromEntries(properties.map((field) => [field, plausibleValue(field)])),
    { requiredKeys: [] },
  );
  const withExtra = fc
    .tuple(plausible, fc.dictionary(hostileString, anyJson, { minKeys: 1, maxKeys: 2 }))
    .map(([body, extra]) => ({ ...extra, ...body }));
  const wrongTypes = fc.record(Object.fromEntries(properties.map((field) => [field, anyJson])), {
    requiredKeys: [],
  });
  return fc.oneof(plausible, plausible, withExtra, wrongTypes, anyJson);
}

describe('fuzzing every operation of the OpenAPI document', () => {
  let t: TestApp;
  let document: OpenApiDocument;
  let operations: Operation[];
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  let accessToken = '';

  beforeAll(async () => {
    t = await createTestApp();
    document = (await t.http.get('/docs-json')).body as OpenApiDocument;
    ajv.addSchema({ components: toJsonSchema(document.components) }, 'openapi');
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ ...operation, method, path })),
    );
  });
  afterAll(() => t.close());

  /**
   * A live access token. The fuzzer may log it out, or put its account into login backoff
   * with wrong current passwords, at any time: then a new account takes over.
   */
  async function liveAccessToken(): Promise<string> {
    if (!accessToken) accessToken = (await signUpAndLogIn(t.http)).accessToken;
    return accessToken;
  }

  const validators = new Map<string, ValidateFunction>();
  function validatorFor(schema: Schema): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = validators.get(key);
    if (!validate) {
      validate = ajv.compile(toJsonSchema(schema) as Schema);
      validators.set(key, validate);
    }
    return validate;
  }

  it(
    'never answers 5xx, always problem details for errors, and documented shapes for 2xx',
    async () => {
      const perOperation = Math.max(20, Math.ceil(TOTAL_RUNS / operations.length));
      let sent = 0;
      for (const operation of operations) {
        const bodySchemaRef = operation.requestBody?.content['application/json']?.schema.$ref as
          string | undefined;
        const bodySchema = bodySchemaRef
          ? document.components.schemas[bodySchemaRef.split('/').pop()!]
          : undefined;
        const request = fc.record({
          body: fc.option(bodyFor(bodySchema), { nil: undefined, freq: 8 }),
          auth: fc.constantFrom('valid', 'none', 'garbage', 'basic'),
          contentType: fc.constantFrom(
            'application/json',
            'application/json',
            'text/plain',
            'none',
          ),
          pathValue: fc.oneof(fc.uuid(), hostileString),
          query: fc.dictionary(
            fc.constantFrom('limit', 'cursor', 'x', '__proto__'),
            hostileString,
            {
              maxKeys: 3,
            },
          ),
          requestId: fc.option(hostileString, { nil: undefined }),
        });

        await fc.assert(
          fc.asyncProperty(request, async (input) => {
            const query = Object.entries(input.query)
              .map(([key, value]) => `${encodeHostile(key)}=${encodeHostile(value)}`)
              .join('&');
            const path = operation.path.replace(/\{[^}]+\}/g, () =>
              encodeHostile(input.pathValue.slice(0, 100)),
            );
            let call = t.http[operation.method as 'get'](query ? `${path}?${query}` : path);
            if (input.auth === 'valid')
              call = call.set('Authorization', `Bearer ${await liveAccessToken()}`);
            if (input.auth === 'garbage') call = call.set('Authorization', 'Bearer x.y.z');
            if (input.auth === 'basic') call = call.set('Authorization', 'Basic YTpi');
            if (input.requestId !== undefined) {
              call = call.set('X-Request-Id', input.requestId.replace(/[^\x20-\x7e]/g, '') || 'x');
            }
            if (input.body !== undefined && operation.method !== 'get') {
              const text = JSON.stringify(input.body) ?? 'null';
              if (input.contentType !== 'none') call = call.set('Content-Type', input.contentType);
              call = call.send(text);
            }
            const response = await call;
            sent += 1;
            const where = `${operation.method.toUpperCase()} ${path} ${JSON.stringify(input).slice(0, 300)}`;
            expect(response.status, where).toBeLessThan(500);
            if (response.status >= 400) {
              expect(response.headers['content-type'], where).toMatch(
                /^application\/problem\+json/,
              );
              if (input.auth === 'valid' && response.status === 401) accessToken = '';
              return;
            }
            // The fuzzer may have ended its own session or changed its own account.
            if (/logout|sessions|change-password|DELETE/.test(`${operation.method} ${path}`))
              accessToken = '';
            const documented = operation.responses[String(response.status)];
            expect(
              documented,
              `${where}: status ${response.status} is not documented`,
            ).toBeDefined();
            const schema = documented?.content?.['application/json']?.schema;
            if (schema) {
              const validate = validatorFor(schema);
              expect(validate(response.body), `${where}\n${JSON.stringify(validate.errors)}`).toBe(
                true,
              );
            }
          }),
          { numRuns: perOperation, endOnFailure: true },
        );
      }
      expect(sent).toBeGreaterThanOrEqual(Math.min(TOTAL_RUNS, perOperation * operations.length));
    },
    60_000 + TOTAL_RUNS * 30,
  );
});
