import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import helmet from '@fastify/helmet';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { ProblemDetailsFilter } from './common/problem-details.filter.js';
import { createValidationPipe } from './common/request-validation.js';
import type { Configuration } from './config/configuration.js';
import { setupApiDocs } from './docs/api-docs.js';

export const BODY_LIMIT_BYTES = 100 * 1024;
const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is safe to log; otherwise we make one. */
function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** One line per request, after it is answered, instead of Fastify's two; no headers, no body. */
class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'request_id' });
  }

  override incomingRequest(): void {}

  override requestCompleted(_error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500) request.log.warn(line, 'request completed');
    else request.log.info(line, 'request completed');
  }
}

export function createHttpAdapter(logger: PinoLogger): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    loggerInstance: logger,
    genReqId: requestIdFor,
    logController: new RequestLogController(),
  });
}

/** Everything about the HTTP surface; used by main.ts and by every end-to-end test. */
export async function configureApp(
  app: NestFastifyApplication,
  configuration: Configuration,
): Promise<void> {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());

  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON only; Fastify would otherwise hand text/plain bodies to the handlers.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Swagger UI and ReDoc set inline styles; ReDoc renders in a blob: worker.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        workerSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
      },
    },
  });

  const { corsOrigins } = configuration.app;
  if (corsOrigins === true || corsOrigins.length > 0) {
    app.enableCors({
      origin: corsOrigins,
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'WWW-Authenticate', 'Retry-After'],
      maxAge: 600,
    });
  }

  await setupApiDocs(app, configuration.app);
}
