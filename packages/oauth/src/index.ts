/** oauth4webapi's authorization server metadata type, re-exported for callers. */
export type { AuthorizationServer, ResourceServer } from 'oauth4webapi';
export {
  type AuthorizationRequest,
  type AuthorizationRequestOptions,
  buildAuthorizationRequest,
  type LoopbackListener,
  type LoopbackListenerOptions,
  startLoopbackRedirectListener,
  validateAuthorizationCallback,
} from './authorize.js';
export {
  type ClientIdentity,
  type ClientIdentitySource,
  chooseTokenEndpointAuthMethod,
  clientAuthentication,
  clientMetadataDocument,
  LOOPBACK_REDIRECT_URI,
  type PreregisteredClient,
  type RegistrationMetadata,
  type ResolveClientIdentityOptions,
  registerClient,
  resolveClientIdentity,
  type TokenEndpointAuthMethod,
  toOauthClient,
} from './client-identity.js';
export {
  CLIENT_SIGNING_ALGS,
  type ClientPrivateKey,
  type ClientSigningAlg,
  parseClientPrivateKey,
  privateKeyJwtAuthentication,
} from './client-key.js';
export {
  type DiscoverAuthorizationServerOptions,
  type DiscoverProtectedResourceOptions,
  type DiscoveryMode,
  discoverAuthorizationServer,
  discoverLegacyAuthorizationServer,
  discoverProtectedResource,
  type ProtectedResourceDiscovery,
  pickAuthorizationServer,
  type WellKnownName,
  wellKnownUrl,
} from './discovery.js';
export {
  accessTokenHash,
  createDpopProver,
  type DpopProofOptions,
  type DpopProver,
  type DpopProverOptions,
  type DpopTarget,
  dpopHtu,
  isUseDpopNonceResponse,
} from './dpop.js';
export { isOAuthFailure, OAuthError, type OAuthFailureReason } from './errors.js';
export { assertSecureUrl, type HttpOptions } from './http.js';
export {
  type GrantType,
  JWT_BEARER_GRANT_TYPE,
  type MachineGrant,
  type MachineGrantRequest,
  requestMachineGrant,
} from './machine-grants.js';
export { type FetchWithTokenOptions, fetchWithToken } from './resource-fetch.js';
export {
  ID_JAG_TOKEN_TYPE,
  ID_TOKEN_TYPE,
  type IdJagRequest,
  requestIdJag,
  TOKEN_EXCHANGE_GRANT_TYPE,
} from './token-exchange.js';
export {
  chooseTokenBinding,
  createTokenManager,
  exchangeAuthorizationCode,
  refreshTokenSet,
  revokeToken,
  revokeTokenSet,
  type TokenBinding,
  type TokenEndpointContext,
  type TokenManager,
  type TokenManagerOptions,
  type TokenSet,
} from './tokens.js';
export {
  findChallenge,
  MAX_WWW_AUTHENTICATE_LENGTH,
  parseWwwAuthenticate,
  type WwwAuthenticateChallenge,
} from './www-authenticate.js';
