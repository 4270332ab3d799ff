export {
  type AuthFailureReason,
  type ConnectRefusal,
  createJwtVerifier,
  type JwtClaimChecks,
  type JwtKeySource,
  type VerifiedSession,
  type VerifyToken,
} from './auth.js';
export { RealtimeError } from './errors.js';
export type { Published } from './publisher.js';
export { createRealtimeServer, type RealtimeServer } from './server.js';
export type { ReplayOptions } from './streams.js';
export type {
  InterServerEvents,
  NodeStats,
  RealtimeIo,
  RealtimeLimits,
  RealtimeServerOptions,
  RequestContext,
  RequestHandlers,
  SocketData,
} from './types.js';
