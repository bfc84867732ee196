/** What the RPC server counts (RpcServer.stats()): every refusal and every drop has a counter. */
export interface RpcCounters {
  connectionsAccepted: number
  /** Closed at once because `maxConnections` were open. */
  connectionsRefused: number
  connectionsOpen: number
  requests: number
  /** Responses with a non-empty Error. */
  errorReplies: number
  handshakeRequired: number
  /** Connections closed because they did not complete the handshake in time. */
  handshakeTimeouts: number
  authRequired: number
  authFailures: number
  unknownCommands: number
  /** Headers or bodies that did not decode (connection closed, no reply). */
  decodeFailures: number
  /** Objects over `maxFrameBytes` (connection closed). */
  framesTooLarge: number
  /** members-filtered patterns that did not compile (connection closed, no reply). */
  badPatterns: number
  streamsOpened: number
  monitorsOpened: number
  queriesStarted: number
  recordsSent: number
  /** Events or log lines the node dropped for a stream of this server that read too slowly. */
  recordsDroppedByNode: number
  /** Query IDs forgotten before their deadline because too many were pending on a connection. */
  queryIdsEvicted: number
}

export function newCounters(): RpcCounters {
  return {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    connectionsOpen: 0,
    requests: 0,
    errorReplies: 0,
    handshakeRequired: 0,
    handshakeTimeouts: 0,
    authRequired: 0,
    authFailures: 0,
    unknownCommands: 0,
    decodeFailures: 0,
    framesTooLarge: 0,
    badPatterns: 0,
    streamsOpened: 0,
    monitorsOpened: 0,
    queriesStarted: 0,
    recordsSent: 0,
    recordsDroppedByNode: 0,
    queryIdsEvicted: 0,
  }
}
