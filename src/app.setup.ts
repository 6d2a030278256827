import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module.js';
import { useJsonBodyParser } from './common/http/json-body.parser.js';
import { addressBucket } from './common/http/address-bucket.js';
import { answerStarted, ClientConnections } from './common/http/client-connections.js';
import { OnceAMinuteWarning } from './common/http/once-a-minute-warning.js';
import { endLingeringAnswer } from './common/http/lingering-close.js';
import { clientRequestIdOf, REQUEST_ID_HEADER } from './common/http/request-id.js';
import { AppLogger } from './platform/logging/app-logger.js';
import { logRequestCompleted } from './platform/logging/request-completed-log.js';
import { PROBLEM_CONTENT_TYPE } from './common/problem-details.js';
import { ProblemDetailsFilter, sendProblem } from './common/problem-details.filter.js';
import { createValidationPipe } from './common/request-validation.js';
import type { AppConfig } from './config/app.config.js';
import type { Configuration } from './config/configuration.js';
import { setupApiDocs } from './docs/api-docs.js';

export const BODY_LIMIT_BYTES = 100 * 1024;
const REQUEST_ID_LOG_LABEL = 'request_id';

/**
 * Always the service's own id (issue #18 point 11): a caller's X-Request-Id went into logs and
 * security events as given, so a caller could make its requests pass for others'. A caller's
 * id is logged beside it, as `client_request_id` (clientRequestIdOf).
 */
const requestIdFor = (): string => randomUUID();

/** One line per request, after it is answered, instead of Fastify's two; no headers, no body. */
class RequestLogController extends LogController {
  constructor(private readonly logger: PinoLogger) {
    super({ requestIdLogLabel: REQUEST_ID_LOG_LABEL });
  }

  override incomingRequest(): void {}

  override requestCompleted(_error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    // The root logger, with the id named in the line, as every other line of the service.
    logRequestCompleted(this.logger, {
      request_id: request.id,
      client_request_id: clientRequestIdOf(request.headers),
      method: request.method,
      path: request.url.split('?')[0]!,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    });
  }
}

/** How long a connection answered on the raw socket may stay open for its client to read. */
const CLIENT_ERROR_LINGER_MS = 2000;

const CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  // HEADERS_TIMEOUT_SECONDS or REQUEST_TIMEOUT_SECONDS passed (RFC 9110 15.5.9).
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: 'The request did not arrive in time.' },
  HPE_HEADER_OVERFLOW: { status: 431, detail: 'The request headers are too large.' },
};
const NOT_HTTP = { status: 400, detail: 'The request is not valid HTTP.' };
const REQUEST_TIMEOUT = 408;

/**
 * Requests Node's parser rejects, or that did not all arrive in time, before Fastify answers
 * them: answered as problem details too, on the raw socket, then closed (destroyed after a
 * moment if the client, still sending, does not hang up: a slow client must not keep it).
 * A connection that already has its answer out (a refused body being read, whose client hung
 * up mid-body or ran out of time) gets nothing more: that answer is ended, so it is logged, and
 * Node closes the connection.
 */
function answerClientError(
  error: Error & { code?: string },
  socket: Socket,
  slowClients: OnceAMinuteWarning,
): void {
  if (endLingeringAnswer(socket)) return;
  if (!socket.writable || answerStarted(socket)) {
    socket.destroy();
    return;
  }
  const { status, detail } = (error.code && CLIENT_ERRORS[error.code]) || NOT_HTTP;
  // Fastify logs no request line for these: without this a slow-client attack leaves no trace.
  if (status === REQUEST_TIMEOUT) slowClients.note(addressBucket(socket.remoteAddress ?? '-'));
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
}

function createHttpAdapter(logger: PinoLogger, appConfig: AppConfig): FastifyAdapter {
  const { trustProxyHops, headersTimeoutMs, requestTimeoutMs } = appConfig;
  const slowClients = new OnceAMinuteWarning(
    logger,
    'requests answered 408: a client did not send its request within HEADERS_TIMEOUT_SECONDS or REQUEST_TIMEOUT_SECONDS',
    { status: REQUEST_TIMEOUT },
  );
  return new FastifyAdapter({
    // Node closes a connection with a 408 when its request is not all in by then; how often it
    // checks bounds how late that may be (its default, 30 s, would make a 10 s timeout 40 s).
    http: {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs / 2),
    },
    // Fastify sets the server's requestTimeout again from its own option (0, none, by default).
    requestTimeout: requestTimeoutMs,
    // request.ip: the socket address, or the hop'th address from the right of X-Forwarded-For.
    // (proxy-addr's rule for a hop count, which Nest's adapter types do not accept as a number.)
    // With no proxy trusted, false: Fastify then reads the socket's address without running
    // proxy-addr's address parsing on every request.
    trustProxy: trustProxyHops > 0 && ((_address: string, hop: number) => hop < trustProxyHops),
    bodyLimit: BODY_LIMIT_BYTES,
    loggerInstance: logger,
    genReqId: requestIdFor,
    logController: new RequestLogController(logger),
    // Bad URLs and over-long path parameters, rejected by Fastify's router before Nest.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(error, request, reply),
    clientErrorHandler: (error: Error, socket: Socket) =>
      answerClientError(error, socket, slowClients),
  });
}

/**
 * Every API answer is JSON for a program: nothing in it may be cached (tokens and account
 * data: RFC 6749 5.1 asks no-store of token responses), framed, sniffed or load anything.
 * Seven headers rather than helmet's twelve, which are meant for HTML pages: each header costs
 * every request its setting and validation (issue #3 measured 13% of `/auth/me` for twelve).
 */
const API_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/** Swagger UI at /docs (and its /docs-json), ReDoc at /redoc: HTML pages, helmet's headers. */
const DOCUMENTATION_PATH = /^\/(docs|redoc)(?:[/?-]|$)/;

const HELMET_OPTIONS: HelmetOptions = {
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
};

/**
 * helmet's headers for the documentation pages, worked out once. @fastify/helmet runs
 * helmet's setup, CSP parsing included, on every request: about a fifth of a cheap route.
 */
function documentationHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => (headers[name] = String(value)),
    removeHeader: (name: string) => delete headers[name],
  };
  helmet(HELMET_OPTIONS)(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    () => undefined,
  );
  return headers;
}

type FastifyCorsOptions = NonNullable<Parameters<NestFastifyApplication['enableCors']>[0]>;

/**
 * CORS as the FastAPI service had it: browser apps on other origins may call the API. No
 * credentials, ever: tokens travel in the Authorization header, never in a cookie, so there
 * is nothing ambient for a browser to attach, and `*` (or a listed origin) is safe to answer.
 *
 * Only for requests that carry Origin: a browser sends it on every request CORS governs, and
 * apps, services and curl do not, for whom the headers were about a seventh of the CPU of a
 * `GET /auth/me` (docs/performance.md). Every answer then says `Vary: Origin`, so a shared
 * cache never hands one without the headers to a browser.
 */
function corsOptions(origin: '*' | string[]): FastifyCorsOptions {
  const forBrowsers: FastifyCorsOptions = {
    origin,
    credentials: false,
    methods: ['GET', 'POST', 'DELETE'],
    // No allowedHeaders: @fastify/cors then allows whatever the preflight asks for
    // (Authorization, Content-Type, X-Request-Id, a tracing SDK's sentry-trace or
    // traceparent); a header the API does not read is ignored.
    exposedHeaders: [
      'X-Request-Id',
      'WWW-Authenticate',
      'Retry-After',
      'RateLimit-Policy',
      'RateLimit',
      // Deprecated with the headers themselves (docs/api.md#rate-limits).
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
    ],
    // As long as browsers keep a preflight (Chromium 2 h, Firefox 24 h, Safari 10 min): one
    // preflight per URL instead of one per token refresh. Without cookies a cached preflight
    // gives a page nothing it could abuse; narrowing CORS_ORIGINS still stops other origins
    // reading answers at once, since each answer carries its own Access-Control-Allow-Origin.
    maxAge: 86_400,
    // An OPTIONS without Origin is answered like a preflight, not with @fastify/cors's
    // text/plain 400 (every error here is problem details).
    strictPreflight: false,
  };
  const withoutOrigin: FastifyCorsOptions = { origin: false };
  return {
    delegator: (request, callback) =>
      callback(
        null,
        request.headers.origin === undefined && request.method !== 'OPTIONS'
          ? withoutOrigin
          : forBrowsers,
      ),
  };
}

/** Everything about the HTTP surface except routes. */
async function configureApp(
  app: NestFastifyApplication,
  configuration: Configuration,
): Promise<void> {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());

  const fastify = app.getHttpAdapter().getInstance();
  useJsonBodyParser(fastify);
  const docsHeaders = documentationHeaders();
  fastify.addHook('onRequest', (request, reply, done) => {
    const headers = DOCUMENTATION_PATH.test(request.url) ? docsHeaders : API_HEADERS;
    void reply.headers(headers).header(REQUEST_ID_HEADER, request.id);
    done();
  });

  const { corsOrigins } = configuration.app;
  if (corsOrigins !== false) app.enableCors(corsOptions(corsOrigins));

  await setupApiDocs(app, configuration.app);
}

/** The application as it serves: used by main.ts and by every end-to-end test. */
export async function createApp(
  configuration: Configuration,
  rootLogger: PinoLogger,
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(configuration),
    createHttpAdapter(rootLogger, configuration.app),
    {
      logger: new AppLogger(rootLogger),
      // Our JSON parser (useJsonBodyParser) is the only one; Nest's would add form bodies.
      bodyParser: false,
    },
  );
  new ClientConnections(app.getHttpServer(), configuration.app.connectionsPerAddress, rootLogger);
  await configureApp(app, configuration);
  return app;
}
