import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { ProblemException } from '../problem.exception.js';

/** Deeper than any body this API takes; deeper nesting only serves to exhaust the stack. */
const MAX_JSON_DEPTH = 32;

class MalformedBodyError extends ProblemException {
  constructor(detail: string) {
    super({ status: 400, code: 'malformed-body', title: 'Bad Request', detail });
  }
}

function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * The only body parser: JSON, with prototype-poisoning protection, a depth limit, and an
 * empty body read as no body (clients that send `Content-Type: application/json` on a
 * body-less logout keep working). Anything that is not JSON gets 415 from Fastify.
 */
export function useJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (
      _request: FastifyRequest,
      body: string,
      done: (error: Error | null, value?: unknown) => void,
    ) => {
      if (body.trim() === '') return done(null, undefined);
      let parsed: unknown;
      try {
        parsed = secureJson.parse(body, undefined, {
          protoAction: 'error',
          constructorAction: 'error',
        });
      } catch {
        return done(new MalformedBodyError('The request body is not valid JSON.'));
      }
      if (depthOf(parsed) > MAX_JSON_DEPTH) {
        return done(
          new MalformedBodyError(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`),
        );
      }
      done(null, parsed);
    },
  );
}
