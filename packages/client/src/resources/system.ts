import { compileCheck, health, status } from '@briefcase/api';
import type { DaemonHttp } from '../daemon-http.js';
import type { HealthView, StatusView } from '../types.js';
import type { RequestOptions } from './options.js';

/** Liveness and status of the daemon. */
export interface SystemMethods {
  health(options?: RequestOptions): Promise<HealthView>;
  status(options?: RequestOptions): Promise<StatusView>;
}

const healthBody = compileCheck(health.schema.response[200]);
const statusBody = compileCheck(status.schema.response[200]);

export function systemMethods(http: DaemonHttp): SystemMethods {
  return {
    health: (opts = {}) =>
      http.json({ method: 'GET', path: '/health', signal: opts.signal }, healthBody, false),
    status: (opts = {}) => http.json({ method: 'GET', path: '/v1/status', signal: opts.signal }, statusBody),
  };
}
