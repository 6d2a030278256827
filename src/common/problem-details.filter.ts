import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerBeforeBody, bodyStillArriving } from './http/lingering-close.js';
import { PROBLEM_CONTENT_TYPE, renderProblem } from './problem-details.js';

/**
 * The body stopped arriving because the connection closed (its client hung up, or ran out of
 * time and got a 408: issue #18): nothing to answer, and nothing the database did.
 */
function clientWentAway(request: FastifyRequest, error: unknown): boolean {
  return request.raw.destroyed && (error as { code?: unknown } | null)?.code === 'ECONNRESET';
}

/** Writes any error as problem details; 5xx causes go to the request's log line, never the client. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { body, headers, unexpected } = renderProblem(error, {
    requestId: request.id,
    path: request.url,
  });
  if (unexpected !== undefined && !clientWentAway(request, unexpected)) {
    if (body.status === 503) request.log.warn({ err: unexpected }, 'database unavailable');
    else request.log.error({ err: unexpected }, 'unhandled error');
  }
  void reply.status(body.status).headers(headers);
  // A refusal before the body has all arrived (413, 415): see answerBeforeBody.
  if (bodyStillArriving(request.raw)) {
    void reply.type(`${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    answerBeforeBody(request.raw, reply, JSON.stringify(body));
  } else {
    void reply.type(PROBLEM_CONTENT_TYPE).send(body);
  }
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
