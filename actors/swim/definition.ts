/**
 * The swim actor: one definition for both placements. swim owns the node's socket, and the socket
 * comes from the placement: worker.ts hosts it with a real UDP socket and TCP listener
 * (io/node-net.ts); an inline spawn passes `swimIo(open)` (io/swim-io.ts) with its own opener, e.g.
 * a MemoryNetwork endpoint in a simulation. Spawned inline without one, the actor ends in `failed`
 * with ERR_SWIM_NO_TRANSPORT (logged, in its context), never a crash.
 *
 * The input reaches the worker by structured clone, so it must be plain data: encryption keys go as
 * `config.keys` (raw 16/24/32-byte keys or Serf's base64 text, primary first) and the Keyring is
 * built in the thread; a Keyring instance in `config.keyring` is for inline spawns only (in a worker
 * its class is stripped and the config is refused, naming swim.keyring).
 */
import { defineActor } from '../../src/runtime/define-actor.ts'
import { MAX_JOIN_ADDRESSES, parseJoinAddress } from './join-address.ts'
import { createSwimMachine } from './machine.ts'
import { leaseProblem } from './piggyback.ts'
import { isGossamerMessage } from '../../src/wire/gossamer-message.ts'
import { MAX_GOSSAMER_RELIABLE_BYTES } from './gossamer-route.ts'
import { MAX_STREAM_MESSAGE_BYTES } from './stream-read.ts'
import { SWIM_PERSIST_THROTTLE_MS, swimUrgentKey } from './persist-policy.ts'

const isIp = (addr: unknown) => addr instanceof Uint8Array && (addr.length === 4 || addr.length === 16)
const isPort = (port: unknown) => Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65_535
/** The syntax of a join address (join-address.ts); its default port is the node's swim.bindPort. */
const isJoinAddress = (a: unknown): boolean => {
  try {
    parseJoinAddress(a, 7946, 'address')
    return true
  } catch {
    return false
  }
}

export const swim = defineActor({
  name: 'swim',
  machine: createSwimMachine,
  worker: new URL('./worker.ts', import.meta.url),
  /**
   * Persisted snapshots, restored by the supervisor after a crash or a thread death: the bound
   * address (a restart binds it again, never a new port), the incarnation, the members to rejoin,
   * the join state and the counters (see machine.ts). The config's key bytes are not in it (the
   * context shows the keyring as its key count); once `swim.keyring` changed the ring, the live
   * ring is (liveKeys), so a restart keeps it, as Serf's keyring file does.
   *
   * The policy (persist-policy.ts): what a restart needs (the state, the bound address, the
   * incarnation, the ring, the members to rejoin, the join and lease bookkeeping) persists in the
   * turn that changed it, so the address bound in the first turns is never lost to a throttle
   * window; the rest (counters, health, figures: an idle node's every gossip tick changes a counter)
   * at most once a second.
   *
   * `immutable`: each record is the live context itself, kept by reference. Every step assigns
   * new objects for what it changed (the core hands out its counters and copies them before the
   * next write: step-outbox.ts; the runner's views are built fresh), so nothing in a record is
   * written later, and the test runs check it (NODE_ENV=test deep-freezes each record: a write
   * crashes swim with ERR_ACTOR_SNAPSHOT_MUTATED). Before, each persist copied the context (~190
   * values) and, with swim in its own thread, the post cloned it again; in a five-agent join burst
   * with V8's compilers off that copy was about 4% of swim's thread (a --cpu-prof of each
   * thread). A worker still posts each record whole (`post: 'whole'`): swim's objects are mostly
   * new at each persist, and posting only the new ones (graph-encoder.ts: each frozen and tracked
   * until collected) made the ping-to-ack p99 worse, 8.0-9.2 ms against 6.0-6.3.
   */
  persist: { version: 1, throttleMs: SWIM_PERSIST_THROTTLE_MS, urgentKey: swimUrgentKey, immutable: true, post: 'whole' },
  validate: (msg) => {
    switch (msg.type) {
      case 'swim.packet':
        if (typeof msg.from !== 'string' || !(msg.bytes instanceof Uint8Array)) return 'swim.packet needs from (string) and bytes (Uint8Array)'
        return undefined
      case 'swim.stream': {
        if (!Number.isInteger(msg.id) || msg.id < 1) return 'swim.stream needs id (an integer >= 1)'
        if (!['accepted', 'dialed', 'data', 'end'].includes(msg.what)) return 'swim.stream what must be accepted, dialed, data or end'
        if (msg.what === 'data' && !(msg.bytes instanceof Uint8Array)) return 'swim.stream data needs bytes (Uint8Array)'
        const e = msg.error
        if (e !== undefined && (typeof e !== 'object' || e === null || typeof e.code !== 'string' || typeof e.message !== 'string')) return 'swim.stream error must be { code, message } when given'
        return undefined
      }
      case 'swim.join':
        // A malformed address would make the transport's dial throw inside the machine.
        if (!Array.isArray(msg.addresses) || msg.addresses.length > MAX_JOIN_ADDRESSES || !msg.addresses.every(isJoinAddress)) {
          return `swim.join needs addresses (at most ${MAX_JOIN_ADDRESSES}): "host", "host:port", "[v6]:port" or a bare IPv6`
        }
        return undefined
      case 'swim.leave':
        if (!Number.isFinite(msg.timeoutMs) || msg.timeoutMs < 0) return 'swim.leave needs timeoutMs >= 0'
        return undefined
      case 'member.reconnect':
        if (!isIp(msg.addr) || !isPort(msg.port)) return 'member.reconnect needs addr (4 or 16 IP bytes) and port 0..65535'
        return undefined
      case 'member.swim-leave':
        if (msg.timeoutMs !== undefined && (!Number.isFinite(msg.timeoutMs) || msg.timeoutMs < 0)) return 'member.swim-leave timeoutMs must be a number >= 0 when given'
        return undefined
      case 'member.local-meta-changed':
        if (!(msg.meta instanceof Uint8Array)) return 'member.local-meta-changed needs meta (Uint8Array)'
        return undefined
      case 'member.user-state':
        if (!(msg.bytes instanceof Uint8Array)) return 'member.user-state needs bytes (Uint8Array)'
        // Kept for every later push/pull: one no peer could read (past its stream cap) is refused,
        // and the state told before stays in use.
        if (msg.bytes.length > MAX_STREAM_MESSAGE_BYTES) return `member.user-state bytes over ${MAX_STREAM_MESSAGE_BYTES} (a push/pull's cap)`
        return undefined
      case 'gossip.lease':
        // Every packet is filled from it: a malformed one is refused whole, before it is held.
        return leaseProblem(msg)
      case 'swim.send-user':
        if (!isIp(msg.addr) || !Number.isInteger(msg.port) || msg.port < 1 || msg.port > 65_535) return 'swim.send-user needs addr (4 or 16 IP bytes) and port 1..65535'
        if (!(msg.bytes instanceof Uint8Array) || msg.bytes.length === 0) return 'swim.send-user needs bytes (a non-empty Uint8Array: [serfType][msgpack])'
        return undefined
      case 'swim.send-gossamer':
        if (typeof msg.to !== 'string' || msg.to.length === 0) return 'swim.send-gossamer needs to (a member name)'
        if (!(msg.bytes instanceof Uint8Array) || !isGossamerMessage(msg.bytes) || msg.bytes.length < 2) return 'swim.send-gossamer needs bytes (a Gossamer envelope: encodeGossamerMessage)'
        if (typeof msg.reliable !== 'boolean') return 'swim.send-gossamer needs reliable (boolean)'
        if (msg.bytes.length > MAX_GOSSAMER_RELIABLE_BYTES) return `swim.send-gossamer bytes over ${MAX_GOSSAMER_RELIABLE_BYTES}`
        return undefined
      case 'swim.keyring':
        // The operation and the key's size are answered by the actor, with memberlist's messages.
        if (msg.key !== undefined && !(msg.key instanceof Uint8Array)) return 'swim.keyring key must be a Uint8Array when given'
        return undefined
      case 'swim.coordinate':
        if (msg.node !== undefined && typeof msg.node !== 'string') return 'swim.coordinate node must be a string when given'
        return undefined
      case 'swim.join-result':
        // Internal (the runner reports its own joins), checked like any message.
        if (!['join', 'retry-join', 'rejoin'].includes(msg.purpose) || !Array.isArray(msg.addresses) || !Array.isArray(msg.errors) || !Number.isInteger(msg.numJoined) || msg.numJoined < 0) {
          return 'swim.join-result needs purpose, addresses, errors and numJoined >= 0'
        }
        return undefined
      default:
        return undefined
    }
  },
})
