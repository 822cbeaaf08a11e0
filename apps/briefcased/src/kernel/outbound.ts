import type { OutboundFetch } from '../tools/types.js';

/**
 * The one way an external tool reaches the network. Redirects are never followed: a redirect could
 * carry a request (and what it holds) to a host nobody allowed, so it is returned to the tool as is.
 * The egress policy of the sandbox will wrap this function.
 */
export const outboundFetch: OutboundFetch = (url, init) => fetch(url, { ...init, redirect: 'manual' });
