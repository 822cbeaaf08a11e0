import { BriefcaseError, isBriefcaseError } from '@briefcase/core';
import type { FastifyError, FastifyReply } from 'fastify';

/** Sends the stable error body of `error`, with its own HTTP status unless `status` overrides it. */
export function sendError(reply: FastifyReply, error: BriefcaseError, status?: number) {
  return reply.code(status ?? error.httpStatus).send(error.toBody());
}

/** Maps framework-level request failures (bad JSON, huge body, schema violations) to stable codes. */
export function toBriefcaseError(error: FastifyError): {
  error: BriefcaseError;
  status: number;
  parse: boolean;
} {
  if (isBriefcaseError(error)) return { error, status: error.httpStatus, parse: false };
  if (error.validation) {
    const errors = error.validation.slice(0, 20).map((v) => ({
      path: v.instancePath === '' ? '/' : v.instancePath,
      message: v.message ?? 'is invalid',
    }));
    const where = error.validationContext ?? 'request';
    return {
      error: new BriefcaseError(
        'invalid_args',
        `The ${where} does not match the API schema: ${errors[0]?.path} ${errors[0]?.message}. See openapi/briefcased.json.`,
        { details: { errors } },
      ),
      status: 400,
      parse: false,
    };
  }
  const byCode: Record<string, [number, string]> = {
    FST_ERR_CTP_BODY_TOO_LARGE: [413, 'The request body is larger than the daemon accepts.'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'Send the request body as application/json.'],
    FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'The request body is empty; send a JSON object.'],
    FST_ERR_CTP_INVALID_JSON_BODY: [400, 'The request body is not valid JSON.'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'The Content-Length header does not match the body.'],
  };
  const known = error.code ? byCode[error.code] : undefined;
  if (known) return { error: new BriefcaseError('invalid_args', known[1]), status: known[0], parse: true };
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return {
      error: new BriefcaseError('invalid_args', 'The request body is not valid JSON.'),
      status: 400,
      parse: true,
    };
  }
  return {
    error: new BriefcaseError('internal_error', 'briefcased hit an unexpected error; see its log.'),
    status: 500,
    parse: false,
  };
}
