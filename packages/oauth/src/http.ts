import { type ErrorCode, isLoopbackHost } from '@briefcase/core';
import { allowInsecureRequests, customFetch } from 'oauth4webapi';
import { OAuthError } from './errors.js';

/** Transport settings shared by every request this package makes. */
export interface HttpOptions {
  /** The fetch to use (default: global fetch). */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Largest response body accepted from an authorization server or metadata URL (default 1 MiB). */
  maxResponseBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Parses `input` and requires `https:`, or `http:` on a loopback address (OAuth 2.1 §1.5, RFC 8414
 * §2, RFC 9728 §2: every endpoint and identifier is an https URL). URLs with credentials or a
 * fragment are refused too. Throws OAuthError `insecure_url` with `code`.
 */
export function assertSecureUrl(input: string | URL, code: ErrorCode = 'upstream_error', what = 'URL'): URL {
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
  } catch {
    throw new OAuthError(code, 'insecure_url', `The ${what} is not a valid URL.`);
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!ok || url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new OAuthError(
      code,
      'insecure_url',
      `The ${what} must use https (plain http is allowed only on a loopback address), without credentials or fragment.`,
      { url: `${url.protocol}//${url.host}${url.pathname}` },
    );
  }
  return url;
}

/** A URL without query and fragment, safe to put in error details. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * A fetch that refuses insecure URLs, never follows redirects (a 3xx fails closed: metadata and
 * token responses must come from the URL we asked), times out, and buffers at most
 * `maxResponseBytes` of the body.
 */
export function guardedFetch(http: HttpOptions = {}): (url: string, init: RequestInit) => Promise<Response> {
  const doFetch = http.fetch ?? fetch;
  const timeoutMs = http.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = http.maxResponseBytes ?? DEFAULT_MAX_BYTES;
  return async (input, init) => {
    const url = assertSecureUrl(input);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await doFetch(url.href, { ...init, redirect: 'manual', signal });
    } catch {
      throw new OAuthError('upstream_error', 'network_error', `Could not reach ${url.origin}.`, {
        url: describeUrl(url),
      });
    }
    if ((response.status >= 300 && response.status < 400) || response.type === 'opaqueredirect') {
      await response.body?.cancel().catch(() => {});
      throw new OAuthError(
        'upstream_error',
        'redirect',
        `${url.origin} answered with a redirect (HTTP ${response.status}); OAuth metadata and endpoints must not redirect.`,
        { url: describeUrl(url), status: response.status },
      );
    }
    const body = await readCapped(response, maxBytes, url);
    const nullBody = [101, 204, 205, 304].includes(response.status);
    return new Response(nullBody ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

async function readCapped(response: Response, maxBytes: number, url: URL): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new OAuthError(
          'upstream_error',
          'protocol_error',
          `The response from ${url.origin} is too large.`,
          {
            url: describeUrl(url),
            maxBytes,
          },
        );
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    throw new OAuthError(
      'upstream_error',
      'network_error',
      `Reading the response from ${url.origin} failed.`,
      {
        url: describeUrl(url),
      },
    );
  }
  return Buffer.concat(chunks);
}

/**
 * Options handed to every oauth4webapi call: our guarded fetch does the transport. oauth4webapi's
 * own https check is switched off only because {@link guardedFetch} applies the stricter rule
 * (https, or http on loopback) to every URL it is given.
 */
export function oauthHttpOptions(http: HttpOptions = {}): {
  [customFetch]: (url: string, init: RequestInit) => Promise<Response>;
  [allowInsecureRequests]: true;
} {
  return { [customFetch]: guardedFetch(http), [allowInsecureRequests]: true };
}
