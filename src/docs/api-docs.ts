import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HttpStatus, RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import {
  ApiResponse,
  DECORATORS,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
} from '@nestjs/swagger';
import { ProblemDetailsDto } from '../common/dto/problem-details.dto.js';
import type { AppConfig } from '../config/app.config.js';
import loadPluginMetadata from '../metadata.js';
import { serveSwaggerUi } from './swagger-ui-page.js';

const REDOC_PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Whazz Audio Auth API - ReDoc</title>
  </head>
  <body>
    <redoc spec-url="/docs-json"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
`;

const SUCCESS = 'Success';

type PluginMetadata = Awaited<ReturnType<typeof loadPluginMetadata>>;
type ControllerMetadata = [
  Promise<Record<string, object>>,
  Record<string, Record<string, { type?: unknown }>>,
];

/**
 * @nestjs/swagger adds the plugin's success response only to methods that declare no
 * responses of their own, and every route here declares its problem responses. So the
 * success responses (status from @HttpCode or the verb, type from the return type) are
 * merged in here, next to the declared ones.
 */
async function mergePluginSuccessResponses(metadata: PluginMetadata): Promise<void> {
  const swagger = (
    metadata as unknown as Record<string, { controllers?: ControllerMetadata[] } | undefined>
  )['@nestjs/swagger'];
  const controllers = swagger?.controllers ?? [];
  for (const [fileImport, classes] of controllers) {
    const file = await fileImport;
    for (const [className, methods] of Object.entries(classes)) {
      const prototype = (file[className] as { prototype: Record<string, unknown> }).prototype;
      for (const [methodName, { type }] of Object.entries(methods)) {
        const descriptor = Object.getOwnPropertyDescriptor(prototype, methodName);
        if (!descriptor || typeof descriptor.value !== 'function') continue;
        const handler = descriptor.value as object;
        const verb = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const status =
          (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
          (verb === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK);
        // A success the handler declares with its type (GET /auth/me returns a MaybePromise,
        // which the plugin reads as Object) keeps that type, and gets a description if it has
        // none; one merged here by an earlier document of the same process is left as it is.
        const declared = (
          Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) as
            Record<string, { type?: unknown; description?: string }> | undefined
        )?.[status];
        if (declared?.description && (declared.type !== undefined || !type)) continue;
        const chosenType = declared?.type ?? type;
        // ApiResponse merges into what is there, joining descriptions: an empty one keeps the
        // declared text as it is (joined, it doubled with every document built in a process).
        ApiResponse({
          status,
          description: declared?.description ? '' : SUCCESS,
          ...(chosenType ? { type: chosenType as never } : {}),
        })(prototype, methodName, descriptor);
      }
    }
  }
}

/**
 * `security: []` on every operation that states none: those are the @Public() routes (every
 * bearer route carries ApiBearerAuth through BearerAuth(), and test/service.e2e-spec.ts
 * pins both lists). Client generators and linters then read "no credentials", not "unstated".
 */
function sayPublicOperationsNeedNoCredentials(document: OpenAPIObject): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const) {
      const operation = pathItem[method];
      if (operation && !operation.security) operation.security = [];
    }
  }
}

/**
 * The OpenAPI document of the app's routes. Also what `npm run client:generate` builds the
 * client's types from (scripts/client-types.ts), on an app created in preview mode.
 */
export async function buildApiDocument(
  app: NestFastifyApplication,
  appConfig: AppConfig,
): Promise<OpenAPIObject> {
  await SwaggerModule.loadPluginMetadata(loadPluginMetadata);
  await mergePluginSuccessResponses(await loadPluginMetadata());
  const options = new DocumentBuilder()
    .setTitle('Whazz Audio Auth API')
    .setDescription(
      'Sign up, log in, stay logged in and log out. Errors are RFC 9457 problem details (`application/problem+json`).',
    )
    .setVersion(appConfig.version)
    .setLicense('Proprietary: Whazz Audio', 'https://whazz.audio/')
    // Relative: the document describes the server that serves it, wherever it is deployed.
    .addServer('/', 'This service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'access-token')
    .build();
  const document = SwaggerModule.createDocument(app, options, { extraModels: [ProblemDetailsDto] });
  sayPublicOperationsNeedNoCredentials(document);
  return document;
}

/**
 * Swagger UI at /docs, the OpenAPI document at /docs-json, ReDoc at /redoc: all served from
 * installed packages, never a CDN. Schemas come from the DTOs through the Swagger plugin's
 * generated metadata (src/metadata.ts, written by `npm run openapi:metadata`).
 */
export async function setupApiDocs(
  app: NestFastifyApplication,
  appConfig: AppConfig,
): Promise<void> {
  const document = await buildApiDocument(app, appConfig);
  // The documents only: the UI is ours, serving only what it loads (serveSwaggerUi).
  SwaggerModule.setup('docs', app, document, {
    ui: false,
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });

  const redocScript = readFileSync(
    createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js'),
  );
  const fastify = app.getHttpAdapter().getInstance();
  serveSwaggerUi(fastify);
  fastify.get('/redoc', (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(REDOC_PAGE),
  );
  fastify.get('/redoc/redoc.standalone.js', (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(redocScript),
  );
}
