import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const PAGE = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Whazz Audio Auth API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
    <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16" />
    <style>
      html { box-sizing: border-box; overflow-y: scroll; }
      *, *:before, *:after { box-sizing: inherit; }
      body { margin: 0; background: #fafafa; }
    </style>
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-ui-standalone-preset.js"></script>
    <script src="/docs/swagger-ui-init.js"></script>
  </body>
</html>
`;

// A file of its own: the page's Content-Security-Policy runs no inline script.
const INIT_SCRIPT = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/docs-json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

/** What the page loads from swagger-ui-dist, and nothing else of that folder. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/**
 * Swagger UI at /docs: our page and the five files it loads, each by name (issue #18 point
 * 11). @nestjs/swagger served the whole swagger-ui-dist folder, the stock Petstore page and a
 * package.json naming the version included. The document is read from /docs-json.
 */
export function serveSwaggerUi(fastify: FastifyInstance): void {
  // swagger-ui-dist as @nestjs/swagger, which depends on it, finds it.
  const swaggerRequire = createRequire(createRequire(import.meta.url).resolve('@nestjs/swagger'));
  fastify.get('/docs', (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  fastify.get('/docs/', (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  fastify.get('/docs/swagger-ui-init.js', (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').send(INIT_SCRIPT),
  );
  for (const [name, type] of Object.entries(ASSETS)) {
    const file = swaggerRequire.resolve(`swagger-ui-dist/${name}`);
    fastify.get(`/docs/${name}`, (_request, reply) =>
      reply
        .type(type)
        .header('cache-control', 'public, max-age=86400')
        .send(createReadStream(file)),
    );
  }
}
