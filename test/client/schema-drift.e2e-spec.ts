/**
 * The client's committed types match the OpenAPI document the code builds now (issue #23):
 * a DTO or route changed without `npm run client:generate` fails here, in CI's `npm test`.
 * `npm run client:generate` runs this file with `--update`, which rewrites the types.
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_GENERATE_COMMAND, generateClientSchema } from '../../scripts/client-types.js';

describe('the generated client types', () => {
  it('are those of the OpenAPI document the code describes now', async () => {
    await expect(await generateClientSchema()).toMatchFileSnapshot(
      '../../packages/client/src/generated/schema.d.ts',
      `packages/client/src/generated/schema.d.ts is stale: run \`${CLIENT_GENERATE_COMMAND}\` and commit it`,
    );
  }, 60_000);

  it('come out the same however many documents the process built before', async () => {
    // Every test app builds the document; the battery builds dozens in one process, and a
    // response description that grew with each build once ended in "Invalid string length".
    const first = await generateClientSchema();
    for (let build = 0; build < 3; build += 1) await generateClientSchema();
    expect(await generateClientSchema()).toBe(first);
  }, 120_000);
});
