// Minimal typings for the parts of oidc-provider 9 (which ships none) that these tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ProviderGrant {
    destroy(): Promise<void>;
  }
  export interface OidcContext {
    oidc: { params?: Record<string, unknown>; route?: string };
  }
  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (ctx: OidcContext, ...rest: unknown[]) => void): this;
    Grant: { find(id: string): Promise<ProviderGrant | undefined> };
  }
  export const errors: { InvalidTarget: new (description?: string) => Error };
}
