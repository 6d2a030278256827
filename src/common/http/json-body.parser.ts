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

// A UTF-16 surrogate without its pair: JSON allows it ("\\ud800"), but it is not text.
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a parsed body is refused, if it is: nested too deep, or text that is not Unicode. */
function bodyProblem(value: unknown): string | undefined {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) return NOT_UNICODE;
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_JSON_DEPTH)
      return `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`;
    for (const [key, child] of Object.entries(node)) {
      if (LONE_SURROGATE.test(key)) return NOT_UNICODE;
      pending.push([child, depth + 1]);
    }
  }
  return undefined;
}

const NOT_UNICODE =
  'The request body contains text that is not valid Unicode (an unpaired surrogate).';

/**
 * The only body parser: JSON, with prototype-poisoning protection, a depth limit, and an
 * empty body read as no body (clients that send `Content-Type: application/json` on a
 * body-less logout keep working). Text with unpaired surrogates is refused here, once, rather
 * than crash a validator (validator.js's isEmail throws on it) or PostgreSQL's encoder.
 * Anything that is not JSON gets 415 from Fastify.
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
      const problem = bodyProblem(parsed);
      if (problem) return done(new MalformedBodyError(problem));
      done(null, parsed);
    },
  );
}
