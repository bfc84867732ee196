/**
 * push/pull over streams (spec §2.2): join and periodic anti-entropy as the initiator, and the
 * responder side of inbound streams (push/pull, TCP fallback ping, reliable user message). The
 * stream bytes are memberlist's real stream encoding; Serf's user state is passed through unchanged.
 * Its parts: reading one stream message (stream-read.ts), the merge of a remote state
 * (push-pull-merge.ts), and a join's outcome over its addresses (join-tally.ts).
 */
import type { Stream, TransportAddress } from '../../src/transport/transport.ts'
import { StreamByteBudget } from '../../src/transport/stream-budget.ts'
import { ClusterError } from '../../src/errors/index.ts'
import type { StreamMessage } from '../../src/wire/stream.ts'
import { encodePushPullStream } from './packets.ts'
import { kRandom } from './probe-list.ts'
import { readStreamMessage } from './stream-read.ts'
import type { StreamReadOptions } from './stream-read.ts'
import type { SwimConfig } from './config.ts'
import type { SwimCounters } from './counters.ts'
import type { NodeRecord, NodeTable, Outcome } from './node-table.ts'
import type { WireSecurity } from './packets.ts'
import type { DialCallback, SuspicionCause, SwimEnv, SwimOutput } from './effects.ts'
import type { Ping } from '../../src/wire/memberlist.ts'
import { dialFailure, readFailure, remoteFailure } from './join-errors.ts'
import type { PushPullFailure } from './join-errors.ts'
import { joinTally } from './join-tally.ts'
import type { JoinTags } from './join-tally.ts'
import { mergeRemoteState } from './push-pull-merge.ts'

export { MAX_STREAM_MESSAGE_BYTES } from './stream-read.ts'

/** A push/pull ended by the node's stop. */
const STOPPED: PushPullFailure = { code: 'ERR_JOIN_STOPPED', detail: 'the node stopped' }

/**
 * What push/pull needs from its node (SwimNode provides it). Declared here, so this file imports
 * no node and no other concept: the node wires a ping that arrives by stream to probe.ts.
 */
export interface PushPullHost {
  readonly config: SwimConfig
  readonly env: SwimEnv
  /** Opens a stream (a dial effect of the node's step). */
  dial(to: TransportAddress, timeoutMs: number, cb: DialCallback): void
  setTimer(key: string, delayMs: number): void
  cancelTimer(key: string): void
  emit(output: SwimOutput): void
  mergeRemoteUserState(bytes: Uint8Array, join: boolean): void
  /** Serf's LocalState for a push/pull, answered through `cb` (as a step of the node). */
  localUserState(join: boolean, cb: (bytes: Uint8Array) => void): void
  /** Runs work that a stream starts (its bytes, its end) as a step of the node. */
  enter(fn: () => void): void
  readonly table: NodeTable
  /** The counters of the step running now: read it when counting, never keep it across a callback (each step may copy them). */
  readonly counters: SwimCounters
  readonly security: WireSecurity
  addressOf(n: NodeRecord): TransportAddress
  isStopped(): boolean
  aliveOthers(except?: string): NodeRecord[]
  apply(o: Outcome, cause?: SuspicionCause): void
  /** A ping that came by stream (a peer's TCP fallback): probe.ts answers it. */
  answerStreamPing(stream: Stream, m: Ping): void
}

/** memberlist's maxPushPulls: inbound push/pulls handled at once; one more is dropped (spec §2.1). */
export const MAX_INBOUND_PUSH_PULLS = 128
/**
 * An inbound stream that has sent more than this (bytes) before its message is complete must hold
 * one of the MAX_INBOUND_PUSH_PULLS slots to keep reading. Pings, acks and user messages fit well
 * below it; a push/pull (up to 20 MiB) does not. So at most 128 large messages are buffered at once,
 * as memberlist counts a push/pull before reading its state, whatever its framing (an encrypted or
 * compressed stream shows its type only once complete).
 */
export const SMALL_STREAM_MESSAGE_BYTES = 64 * 1024

export class PushPull {
  private sessions = 0
  /** Deadline handlers of running exchanges, by timer key. */
  private readonly timeouts = new Map<string, () => void>()
  /** Every stream we hold (dialled or accepted) until it is over: stop() closes them. */
  private readonly open = new Set<Stream>()
  /** Inbound push/pulls being handled (read, waiting for our user state, replying). */
  private inboundPushPulls = 0
  private stopped = false
  /**
   * Bytes all inbound reads may buffer together (config.streamBufferBudgetBytes): the memory held
   * for streams no longer grows with their number. A read whose buffer would pass it is refused.
   */
  readonly inboundBudget: StreamByteBudget

  constructor(private readonly host: PushPullHost) {
    this.inboundBudget = new StreamByteBudget(host.config.streamBufferBudgetBytes)
  }

  /** Periodic anti-entropy with one random alive member (Join=false). */
  periodic(): void {
    const [peer] = kRandom(this.host.aliveOthers(), 1, () => this.host.env.random(), () => true)
    if (peer === undefined) return
    this.initiate(this.host.addressOf(peer), false, () => {})
  }

  /**
   * memberlist Join: push/pull (Join=true) with every address; one success is enough.
   * `reconnect` marks Serf's reconnect of a known member, `purpose` the runner's join tracking
   * (failures counted, retry-join), `replyTo` the asker of a `swim.join`; all are carried back on join-completed.
   */
  join(addresses: readonly TransportAddress[], reconnect = false, purpose?: string, replyTo?: JoinTags['replyTo']): void {
    const settled = joinTally(addresses, { reconnect, purpose, replyTo }, (out) => this.host.emit(out))
    for (const addr of addresses) this.initiate(addr, true, (err) => settled(addr, err))
  }

  /**
   * Initiator (sendAndReceiveState): dial, send our state, read theirs, merge. The dial and the
   * exchange share one deadline of 2 × tcpTimeoutMs (memberlist: TCPTimeout for the dial, then
   * TCPTimeout on the connection); at the deadline the stream is closed and the timeout counted.
   * Every way out goes through `finish`, which closes the stream.
   */
  initiate(to: TransportAddress, join: boolean, done: (err?: PushPullFailure) => void): void {
    const { env, config, counters, table } = this.host
    counters.pushPullsStarted++
    const key = `pp:${++this.sessions}`
    let finished = false
    let stream: Stream | undefined
    const finish = (reason?: PushPullFailure) => {
      if (finished) return
      finished = true
      const err = this.stopped ? STOPPED : reason
      this.host.cancelTimer(key)
      this.timeouts.delete(key)
      stream?.close()
      // The counters of the step this runs in (a later one than the start's): read through the host.
      if (err !== undefined) this.host.counters.pushPullsFailed++
      done(err)
    }
    // Serf's LocalState is asked as the dial starts, not once it connected: the two waits overlap
    // (with every actor in its own thread the ask is a round trip to member-manager's thread, and
    // the dial's outcome a turn of ours), and our state goes out as soon as both are in. The node
    // states are read when it goes, as memberlist's sendLocalState reads them.
    let userState: Uint8Array | undefined
    const send = () => {
      if (finished || stream === undefined || userState === undefined) return
      stream.write(encodePushPullStream(join, table.localState(), userState, config.enableCompression, this.host.security))
    }
    this.host.localUserState(join, (bytes) => {
      userState = bytes
      send()
    })
    this.host.dial(to, config.tcpTimeoutMs, (err, s) => {
      if (err !== undefined || s === undefined) return finish(dialFailure(to, err))
      // A dial that completes after the deadline (or the stop) is closed at once.
      if (finished || this.stopped || this.host.isStopped()) {
        s.close()
        return finish(STOPPED)
      }
      stream = s
      this.track(s)
      this.read(s, { inbound: false }, (msg, readErr) => {
        if (readErr !== undefined || msg === undefined) return finish(readFailure(readErr ?? { code: 'ERR_TRANSPORT_CLOSED', message: 'no reply' }))
        if (this.host.isStopped()) return finish(STOPPED)
        if (msg.type === 'err') return finish(remoteFailure(msg.Error))
        if (msg.type !== 'pushPull') return finish({ code: 'ERR_JOIN_PROTOCOL', detail: `unexpected reply type ${msg.type}` })
        const bad = mergeRemoteState(this.host, msg, join)
        finish(bad === undefined ? undefined : { code: 'ERR_JOIN_PROTOCOL', detail: bad })
      })
      send()
    })
    this.host.setTimer(key, config.tcpTimeoutMs * 2)
    this.timeouts.set(key, () => {
      this.host.counters.pushPullsTimedOut++
      finish({ code: 'ERR_JOIN_TIMEOUT', detail: stream === undefined ? `dial tcp ${to}: i/o timeout` : 'Reading remote state failed: i/o timeout' })
    })
  }

  /** Called by the runner for `pp:*` timer keys. */
  onTimer(key: string): void {
    const fn = this.timeouts.get(key)
    this.timeouts.delete(key)
    if (fn !== undefined) fn()
  }

  /**
   * Responder: one inbound stream carries exactly one request (push/pull, TCP fallback ping or
   * user message). As memberlist's handleConn, the whole connection has a deadline of tcpTimeoutMs:
   * a peer that connects and sends nothing (or too slowly, or never reads our reply) is cut then.
   */
  accept(stream: Stream): void {
    const { config } = this.host
    this.track(stream)
    // The read's buffer is held against the inbound budget until the message is dealt with.
    const lease = this.inboundBudget.lease()
    let holdsSlot = false
    const release = () => {
      if (!holdsSlot) return
      holdsSlot = false
      this.inboundPushPulls--
    }
    /** Takes a push/pull slot; false (counted) when all are in use. */
    const takeSlot = (): boolean => {
      if (holdsSlot) return true
      if (this.inboundPushPulls >= MAX_INBOUND_PUSH_PULLS) {
        this.host.counters.pushPullsRefused++
        return false
      }
      holdsSlot = true
      this.inboundPushPulls++
      return true
    }
    const onBytes = (length: number) => {
      if (length > SMALL_STREAM_MESSAGE_BYTES && !takeSlot()) {
        throw new ClusterError('ERR_SWIM_PUSH_PULL_LIMIT', `${MAX_INBOUND_PUSH_PULLS} large inbound stream messages are being read; refused ${stream.remote}`)
      }
    }
    this.read(stream, { deadlineMs: config.tcpTimeoutMs, onClose: release, inbound: true, onBytes, lease }, (msg) => {
      // Failures are counted and the stream closed by `read`.
      if (msg === undefined) return lease.release()
      const { env, table, counters } = this.host
      if (this.host.isStopped()) {
        lease.release()
        return stream.close()
      }
      if (msg.type !== 'pushPull') {
        release() // a large ping or user message held a slot while read
        lease.release() // small, and handled at once below
      }
      switch (msg.type) {
        case 'pushPull': {
          if (!takeSlot()) {
            lease.release()
            return stream.close()
          }
          counters.pushPullsAccepted++
          this.host.localUserState(msg.Join, (userState) => {
            release()
            try {
              if (this.host.isStopped()) return stream.close()
              // memberlist merges only once its own state went out; a stream cut meanwhile ends here.
              if (!stream.write(encodePushPullStream(msg.Join, table.localState(), userState, config.enableCompression, this.host.security))) return
              stream.end()
              mergeRemoteState(this.host, msg, msg.Join)
            } finally {
              lease.release()
            }
          })
          return
        }
        case 'ping':
          // Writes the ack and ends our side; the deadline above still bounds the stream.
          return this.host.answerStreamPing(stream, msg)
        case 'user':
          counters.userMessagesIn++
          this.host.emit({ type: 'user-message', bytes: msg.Payload, from: stream.remote })
          stream.close()
          return
        default:
          // ack or err as a request: memberlist logs "invalid msgType" and drops the connection.
          counters.streamsMalformed++
          stream.close()
      }
    })
  }

  /**
   * A one-shot request on a stream we dialled (the TCP fallback ping, spec §2.3): writes `request`,
   * reads one reply under the same byte cap, and closes the stream in every case (reply, failure,
   * `deadlineMs` passing) before `cb` runs. `cb` gets the reply, or undefined (failures counted).
   */
  request(stream: Stream, request: Uint8Array, deadlineMs: number, cb: (msg: StreamMessage | undefined) => void): void {
    this.track(stream)
    this.read(stream, { deadlineMs, inbound: false }, (msg) => {
      stream.close()
      cb(msg)
    })
    stream.write(request)
  }

  /** Closes every stream still open and forgets running exchanges (shutdown or crash of the host). */
  stop(): void {
    this.stopped = true
    for (const key of this.timeouts.keys()) this.host.cancelTimer(key)
    this.timeouts.clear()
    for (const s of [...this.open]) s.close()
    this.open.clear()
    this.inboundPushPulls = 0
  }

  /** Streams open now (dialled and accepted), for tests and stats. */
  openStreams(): number {
    return this.open.size
  }

  /** Keeps `stream` in `open` until it is over. */
  private track(stream: Stream): void {
    this.open.add(stream)
  }

  /** Reads one stream message (stream-read.ts); the stream leaves `open` when it is over. */
  private read(stream: Stream, options: StreamReadOptions, cb: (msg: StreamMessage | undefined, err?: { code: string; message: string }) => void): void {
    const onClose = options.onClose
    readStreamMessage(this.host, stream, { ...options, onClose: () => {
      this.open.delete(stream)
      onClose?.()
    } }, cb)
  }
}
