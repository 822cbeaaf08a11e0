import { Ref } from './schema-kit.js';
import { ErrorBody } from './shared.js';
import type { Static, TSchema, TUnsafe } from './type.js';

/** The HTTP methods the local API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The Fastify `schema` of a route: what validates its request, serializes its response and
 * documents it in OpenAPI (`summary`, `description`, `security`, `produces`).
 */
export interface RouteSchema {
  summary: string;
  description?: string;
  /** `[]` for the one route that takes no token. */
  security?: Array<Record<string, string[]>>;
  /** Media types of a streamed response (SSE, NDJSON); JSON otherwise. */
  produces?: string[];
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  /** One schema per HTTP status the route answers with. */
  response: Record<number, TSchema>;
}

/** One route of the contract: its method, its URL (Fastify syntax, `:param`) and its schema. */
export interface RouteContract<S extends RouteSchema = RouteSchema> {
  method: HttpMethod;
  url: string;
  schema: S;
}

/** Declares a route of the contract. */
export function defineRoute<S extends RouteSchema>(
  method: HttpMethod,
  url: string,
  schema: S,
): RouteContract<S> {
  return { method, url, schema };
}

/** The error responses of a route: the shared Error body for each status. */
export function errorResponses(...statuses: number[]): Record<number, TUnsafe<Static<typeof ErrorBody>>> {
  return Object.fromEntries(statuses.map((status) => [status, Ref(ErrorBody)]));
}

/** The body a route answers with for `status`, as a static type. */
export type ResponseOf<
  R extends RouteContract,
  Status extends keyof R['schema']['response'],
> = R['schema']['response'][Status] extends TSchema ? Static<R['schema']['response'][Status]> : never;

/** The request body a route takes, as a static type. */
export type BodyOf<R extends RouteContract> = R['schema']['body'] extends TSchema
  ? Static<R['schema']['body']>
  : never;

/** The path parameters a route takes, as a static type. */
export type ParamsOf<R extends RouteContract> = R['schema']['params'] extends TSchema
  ? Static<R['schema']['params']>
  : never;

/** The query string a route takes, as a static type (its values are strings on the wire). */
export type QueryOf<R extends RouteContract> = R['schema']['querystring'] extends TSchema
  ? Static<R['schema']['querystring']>
  : never;
