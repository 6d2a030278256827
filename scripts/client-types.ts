/**
 * The client's types (packages/client/src/generated/schema.d.ts) from the OpenAPI document the
 * app serves at /docs-json, built the same way (buildApiDocument) on an app created in Nest's
 * preview mode: routes and DTO metadata without a provider started, so no database is needed.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import openapiTS, { astToString } from 'openapi-typescript';
import { AppModule } from '../src/app.module.js';
import { buildConfiguration } from '../src/config/configuration.js';
import { buildApiDocument } from '../src/docs/api-docs.js';

export const CLIENT_GENERATE_COMMAND = 'npm run client:generate';

const HEADER = `/**
 * The Whazz Audio Auth API's paths and schemas, from its OpenAPI document.
 * Written by \`${CLIENT_GENERATE_COMMAND}\` (test/client/schema-drift.e2e-spec.ts); do not edit.
 */

`;

export async function generateClientSchema(): Promise<string> {
  // Only the app's routes and DTOs matter here; these values are never used to connect.
  const configuration = buildConfiguration({
    NODE_ENV: 'test',
    JWT_SECRET: 'client-types-generation-secret-0123456789abcdef',
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(configuration),
    new FastifyAdapter(),
    { preview: true, logger: false, bodyParser: false, abortOnError: false },
  );
  try {
    const document = await buildApiDocument(app, configuration.app);
    const ast = await openapiTS(
      JSON.parse(JSON.stringify(document)) as Parameters<typeof openapiTS>[0],
    );
    return HEADER + astToString(ast);
  } finally {
    await app.close();
  }
}
