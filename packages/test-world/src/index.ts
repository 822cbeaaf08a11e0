/**
 * Test support only: real peers for OAuth tests on loopback. Never imported by product code.
 */
export {
  CONFIDENTIAL_CLIENT,
  createTestSigner,
  MACHINE_CLIENT,
  MACHINE_JWT_CLIENT,
  type ProviderState,
  playBrowser,
  type ResourceServerState,
  startAuthorizationServer,
  startResourceServer,
  type TestAuthorizationServer,
  type TestResourceServer,
  type TrustedIssuer,
} from './oauth-world.js';
export { type ProtectedMcp, type ProtectedState, startProtectedMcp } from './protected-mcp.js';
