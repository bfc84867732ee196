/** Counters of one swim node: nothing is dropped or decided without being counted. */
export class SwimCounters {
  packetsIn = 0
  /** Datagrams the transport took ('sent'; loss in flight is not visible at the sender). */
  packetsSent = 0
  /** Datagrams the transport refused as larger than it carries. */
  sendTooLarge = 0
  /** Datagrams the transport refused because it was closed. */
  sendClosed = 0
  /** Datagrams whose encoding or send threw (bad address, encoder, socket); see lastSendErrorCode. */
  sendFailed = 0
  /** The code of the last send that threw ('' until one does). */
  lastSendErrorCode = ''
  /** Datagrams handed to a transport that returned no SendOutcome (delivery unknown). */
  sendUnconfirmed = 0
  /** Gossip ticks that stopped at an empty fill (memberlist gossip() returns then: nothing to say). */
  gossipEmpty = 0
  /** Datagrams that did not decode at all. */
  packetsMalformed = 0
  /** Datagrams no key of our keyring opened, or plaintext while encryption is required. */
  packetsUndecryptable = 0
  /** Compound parts that failed to decode (their siblings were still handled). */
  partsInvalid = 0
  partsTruncated = 0
  /**
   * alive / suspect / dead messages and push/pull entries refused by what swim accepts
   * (acceptance.ts: names, Vsn, Meta, sizes) or for a State no version knows, and indirect pings
   * naming a target we could not re-send as it came; see lastRefusal.
   */
  messagesRefused = 0
  /** Why the last one was refused ('' until one is). */
  lastRefusal = ''
  /** Rumours about us at an incarnation we cannot go above (2^32 − 1): not refuted, counted. */
  refutationsImpossible = 0
  /** Broadcasts the encoder refused (a bug guard: acceptance.ts should make this impossible). */
  broadcastsUnencodable = 0
  /** What the last one was and why ('' until one is). */
  lastBroadcastError = ''
  /** Gossip messages dropped because their handoff queue was full (spec §4.11). */
  handoffDropped = 0
  /** Pings addressed to another node name (memberlist drops them). */
  pingsWrongNode = 0
  probes = 0
  probesAcked = 0
  probesFailed = 0
  indirectProbesSent = 0
  /** Nacks counted for the probe in flight (one per helper). */
  nacksReceived = 0
  /** A second nack from the same helper for the same probe (ignored). */
  nacksDuplicate = 0
  /** Nacks for no probe in flight (late, after the probe ended, or an unknown sequence number). */
  nacksUnmatched = 0
  tcpFallbacks = 0
  tcpFallbackContacts = 0
  /**
   * TCP fallback pings the target's host refused (ERR_TRANSPORT_REFUSED: it is up, nothing listens
   * at the member's port). With fastCrashDetection each starts the suspicion then, not at the deadline.
   */
  tcpFallbackRefusals = 0
  /** Suspicions this node started (a node it knew as alive became suspect). */
  suspicions = 0
  /** Suspects this node itself declared dead when their timer ran out. */
  deathsDeclared = 0
  refutations = 0
  /** staleSuspicionRefresh: stale rumours about us answered with our current alive. */
  staleRumoursAnswered = 0
  /** staleSuspicionRefresh: suspects that sent us a packet and were told directly that we suspect them. */
  suspectsTold = 0
  /** staleSuspicionRefresh: suspicion wake-ups past the Lifeguard deadline held back by a recent packet from the suspect. */
  deathsDeferred = 0
  /** staleSuspicionRefresh: direct checks (our suspicion sent to the suspect) in the last probe timeouts before a declaration. */
  suspicionChecks = 0
  /** fastCrashDetection: probes of a suspect we heard of, at the tick after, out of the round-robin order. */
  suspectProbes = 0
  /** fastCrashDetection: suspects left to the round-robin because MAX_PENDING already waited (suspect-probes.ts). */
  suspectProbesDropped = 0
  /** fastCrashDetection: gossip rounds brought forward to now for a suspect or dead this node originated. */
  gossipRoundsAtOnce = 0
  /** fastJoinPropagation: alives of members we did not know, sent in a round brought forward (gossip-ticker.ts `joinNews`). */
  joinNewsSoon = 0
  conflicts = 0
  userMessagesIn = 0
  /** Vivaldi samples applied (a probe acked directly, with a coordinate the client took). */
  coordinateUpdates = 0
  /** Direct acks of our probes without a coordinate (a peer without Serf's ping delegate): ignored. */
  coordinateAcksWithout = 0
  /** Acks whose coordinate (or RTT) the client refused; see lastCoordinateError. */
  coordinateRejected = 0
  /** The CoordinateError code of the last refusal ('' until one). */
  lastCoordinateError = ''
  /** Updates that left our coordinate invalid, so it was reset to a fresh one (Serf's resets). */
  coordinateResets = 0
  /** `swim.send-user` datagrams the transport took. */
  userMessagesSent = 0
  /** `swim.send-user` messages refused as larger than one packet carries (udpBufferSize with the sealing's overhead). */
  userMessagesTooLarge = 0
  /** `swim.send-user` datagrams the transport refused (closed) or that failed to go (bad address, socket). */
  userMessagesFailed = 0
  pushPullsStarted = 0
  pushPullsAccepted = 0
  pushPullsFailed = 0
  /** push/pulls whose versions did not verify (spec §1.9). */
  pushPullsRejected = 0
  /** push/pulls we started that passed their deadline (2 × tcpTimeoutMs); their stream was closed. */
  pushPullsTimedOut = 0
  /** Inbound push/pulls dropped because 128 were already being handled (memberlist's maxPushPulls). */
  pushPullsRefused = 0
  /** `user-state` answers no ask waited for (answered twice, or after the stop): ignored. */
  userStatesUnmatched = 0
  /** Push/pulls that carried the user state member-manager told ahead of time (no ask, no wait). */
  userStatesTold = 0
  streamsMalformed = 0
  /** Stream messages refused for passing the byte cap (push-pull.ts MAX_STREAM_MESSAGE_BYTES). */
  streamsTooLarge = 0
  /**
   * Inbound streams refused as soon as their framing declared more than the byte cap (an encrypted
   * length prefix, a push/pull's node count or user-state length), before the bytes came.
   */
  streamsDeclaredTooLarge = 0
  /** Inbound streams refused because all inbound reads together held config.streamBufferBudgetBytes. */
  streamsOverBudget = 0
  /** The code of the last inbound stream refused or failed by a limit ('' until one is). */
  lastStreamErrorCode = ''
  /** errResp replies written to inbound streams we could not read (a wrong key, plaintext vs encrypted, malformed). */
  errRepliesSent = 0
  /** Inbound streams closed at their tcpTimeoutMs deadline (memberlist's TCPTimeout on accepted conns). */
  inboundStreamsTimedOut = 0
}

/** The counters as plain data (the core's state and the context hold them so; they cross threads in a snapshot). */
export type SwimCountersView = { [K in keyof SwimCounters]: SwimCounters[K] }
