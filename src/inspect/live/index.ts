/** The live inspector page: its server, its source over a node or an actor system, its settings. */
export { LiveServer, type LiveServerDeps } from './live-server.ts'
export { systemSource, type LiveSource } from './live-source.ts'
export { resolveLiveConfig, parseListenAddr, isLoopback, DEFAULT_LIVE_LIMITS, type LiveConfig, type LiveLimits } from './live-config.ts'
export { InspectListenError, InspectRemoteRefusedError, TOO_MANY_CLIENTS } from './live-errors.ts'
export { startNodeLivePage } from './node-live-page.ts'
export type { LiveMsg, ActorView, TransitionRecord, ActorFigures, MemberRow, LiveServerStats } from './live-protocol.ts'
