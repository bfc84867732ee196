/**
 * push/pull over streams (spec §2.2): join and periodic anti-entropy as the initiator, and the
 * responder side of inbound streams (push/pull, TCP fallback ping, reliable user message). The
 * stream bytes are memberlist's real stream encoding; Serf's user state is passed through unchanged.
 */
import type { Stream, TransportAddress } from '../../src/transport/transport.ts'
import type { PushPullStream, StreamMessage } from '../../src/wire/stream.ts'
import type { PushNodeState } from './messages.ts'
import { verifyProtocol } from './node-table.ts'
import { encodePushPullStream, fromWireState, tryReadStream } from './packets.ts'
import { concat } from './probe.ts'
import { kRandom } from './probe-list.ts'
import type { SwimNode } from './swim-node.ts'

export class PushPull {
  private sessions = 0
  /** Deadline handlers of running exchanges, by timer key. */
  private readonly timeouts = new Map<string, () => void>()

  constructor(private readonly node: SwimNode) {}

  /** Periodic anti-entropy with one random alive member (Join=false). */
  periodic(): void {
    const [peer] = kRandom(this.node.aliveOthers(), 1, () => this.node.ports.random(), () => true)
    if (peer === undefined) return
    this.initiate(this.node.addressOf(peer), false, () => {})
  }

  /**
   * memberlist Join: push/pull (Join=true) with every address; one success is enough.
   * `reconnect` marks Serf's reconnect of a known member, carried on join-completed.
   */
  join(addresses: readonly TransportAddress[], reconnect = false): void {
    let pending = addresses.length
    let numJoined = 0
    const errors: string[] = []
    const done = () => this.node.ports.emit(reconnect ? { type: 'join-completed', numJoined, errors, reconnect } : { type: 'join-completed', numJoined, errors })
    if (pending === 0) {
      errors.push('no addresses')
      return done()
    }
    for (const addr of addresses) {
      this.initiate(addr, true, (err) => {
        if (err === undefined) numJoined++
        else errors.push(`${addr}: ${err}`)
        if (--pending === 0) done()
      })
    }
  }

  /** Initiator (sendAndReceiveState): dial, send our state, read theirs, merge. */
  initiate(to: TransportAddress, join: boolean, done: (err?: string) => void): void {
    const { ports, config, counters, table } = this.node
    counters.pushPullsStarted++
    const key = `pp:${++this.sessions}`
    let finished = false
    const finish = (err?: string) => {
      if (finished) return
      finished = true
      ports.cancelTimer(key)
      this.timeouts.delete(key)
      if (err !== undefined) counters.pushPullsFailed++
      done(err)
    }
    ports.dial(to, config.tcpTimeoutMs, (err, stream) => {
      if (err !== undefined || stream === undefined) return finish(err?.message ?? 'dial failed')
      if (this.node.isStopped()) {
        stream.close()
        return finish('stopped')
      }
      this.readOne(stream, (msg, readErr) => {
        stream.close()
        if (readErr !== undefined || msg === undefined) return finish(readErr ?? 'no reply')
        if (msg.type === 'err') return finish(`remote error: ${msg.Error}`)
        if (msg.type !== 'pushPull') return finish(`unexpected reply type ${msg.type}`)
        const rejected = this.merge(msg, join)
        finish(rejected)
      })
      ports.localUserState(join, (userState) => {
        stream.write(encodePushPullStream(join, table.localState(), userState, config.enableCompression, this.node.security))
      })
    })
    // The whole exchange shares one deadline (TCPTimeout) beyond the dial.
    this.node.ports.setTimer(key, config.tcpTimeoutMs * 2)
    this.timeouts.set(key, () => finish('timeout'))
  }

  /** Called by the runner for `pp:*` timer keys. */
  onTimer(key: string): void {
    const fn = this.timeouts.get(key)
    this.timeouts.delete(key)
    if (fn !== undefined) fn()
  }

  /** Responder: one inbound stream carries exactly one request. */
  accept(stream: Stream): void {
    this.readOne(stream, (msg, err) => {
      if (err !== undefined || msg === undefined) {
        stream.close()
        return
      }
      const { ports, config, table, counters } = this.node
      switch (msg.type) {
        case 'pushPull': {
          counters.pushPullsAccepted++
          ports.localUserState(msg.Join, (userState) => {
            stream.write(encodePushPullStream(msg.Join, table.localState(), userState, config.enableCompression, this.node.security))
            stream.end()
            this.merge(msg, msg.Join)
          })
          return
        }
        case 'ping':
          return this.node.prober.answerStreamPing(stream, msg)
        case 'user':
          counters.userMessagesIn++
          ports.emit({ type: 'user-message', bytes: msg.Payload, from: stream.remote })
          stream.close()
          return
        default:
          stream.close()
      }
    })
  }

  /** Merges a remote push/pull; returns the reason when its versions were rejected. */
  private merge(msg: PushPullStream, join: boolean): string | undefined {
    const { table, ports, counters } = this.node
    const states: PushNodeState[] = []
    for (const s of msg.NodeStates) {
      const st = fromWireState(s)
      if (st !== undefined) states.push(st)
    }
    const bad = verifyProtocol(table.records(), states)
    if (bad !== undefined) {
      counters.pushPullsRejected++
      return bad
    }
    for (const o of table.merge(states, ports.now())) this.node.apply(o, 'push-pull')
    if (msg.UserState.length > 0) ports.mergeRemoteUserState(msg.UserState, join)
    return undefined
  }

  /** Reads exactly one stream message (accumulating chunks until it is complete). */
  private readOne(stream: Stream, cb: (msg: StreamMessage | undefined, err?: string) => void): void {
    let buf: Uint8Array = new Uint8Array(0)
    let done = false
    const finish = (msg: StreamMessage | undefined, err?: string) => {
      if (done) return
      done = true
      cb(msg, err)
    }
    stream.onData((chunk) => {
      if (done) return
      buf = concat(buf, chunk)
      try {
        const r = tryReadStream(buf, this.node.security)
        if (r.done) finish(r.message)
      } catch (e) {
        this.node.counters.streamsMalformed++
        finish(undefined, (e as Error).message)
      }
    })
    stream.onEnd((err) => finish(undefined, err?.message ?? 'stream ended before a complete message'))
  }
}
