/**
 * The handshake between a placement and the swim machine (pure: no I/O of its own). The placement
 * provides the machine's `bind` actor (swimBindActor around its opener); the opened transport is
 * held in the actor's resource slots (`env.resources`, src/types/resource-slots.ts) under
 * SWIM_TRANSPORT_SLOT, which the placement owns: it outlasts a restart in place (same socket,
 * same port) and is released by the machine's `stopped` state, the placement's onStop, or the
 * runtime when the actor ends. So the transport never enters the XState context or an event,
 * which stay structured-cloneable (the runtime snapshots them and forwards inspection across
 * threads), and the invoked actor's output is plain data.
 */
import { fromPromise } from 'xstate'
import type { ActorEnv } from '../../src/types/actor-env.ts'
import { ClusterError, toWireError } from '../../src/errors/index.ts'
import type { Stream, StreamCounters, StreamLimits, TransportError } from '../../src/transport/transport.ts'
import { formatAddress } from '../../src/transport/transport.ts'

/** The transport a placement opens for swim. A MemoryTransport fits; so does NetTransport (UDP/TCP). */
export interface SwimTransport {
  /** "ip:port" we listen on (the bound port when 0 was asked for). */
  readonly localAddress: string
  sendPacket(to: string, bytes: Uint8Array): unknown
  onPacket(handler: (p: { from: string; bytes: Uint8Array }) => void): void
  onStream(handler: (s: Stream) => void): void
  dialCallback(to: string, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void
  /** Stops intake and releases the socket; later sends are dropped by the transport. */
  close(): void
  /** What its stream limits did (refusals at accept, idle and deadline aborts), and inbound streams open now. */
  streamCounters(): StreamCounters
}

/** Where the `bind` actor should listen (plain data: it is the invoked actor's input). */
export interface SwimBindInput {
  /** Advertised raw IP (4 or 16 bytes) and port; the bind address defaults to these. */
  addr: Uint8Array
  port: number
  /** "ip:port" to listen on when it differs from the advertised one (e.g. "0.0.0.0:7946"). */
  bind?: string
  /** The transport's stream bounds (swim's config.streamIdleTimeoutMs and config.maxInboundStreams). */
  limits: StreamLimits
  /**
   * After a restart from a persisted snapshot: the "ip:port" bound before. Peers know the node at
   * that port, so the transport opens there again or not at all (ERR_SWIM_REBIND), never on a new
   * port, whatever the input's port (0 included).
   */
  rebind?: string
}

/** What the `bind` actor reports (plain data). The transport object goes to the env's slot. */
export interface SwimBindOutput {
  /** "ip:port" actually bound. */
  address: string
  /** The bound port (the one to advertise when the input asked for port 0). */
  port: number
}

/** Coded failures of the swim actor's own lifecycle. */
export class SwimBindError extends ClusterError {
  static override name = 'SwimBindError'
  constructor(code: 'ERR_SWIM_NO_TRANSPORT' | 'ERR_SWIM_BIND' | 'ERR_SWIM_REBIND', message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options)
  }
}

/** The key of swim's transport in its actor's resource slots. */
export const SWIM_TRANSPORT_SLOT = 'swim.transport'

/** What the resource slot holds: the transport, and the open in progress. */
interface TransportSlot {
  transport: SwimTransport | undefined
  /** Released (the actor stopped): a bind still opening closes what it opened at once. */
  released: boolean
  /** An open in progress (settles either way): a second bind waits for it instead of racing for the port. */
  opening: Promise<void> | undefined
}

/** The actor's slot, held on first use (undefined when the env has no resource slots, or they are closed). */
function slotOf(env: ActorEnv): TransportSlot | undefined {
  const resources = env.resources
  if (resources === undefined) return undefined
  let slot = resources.get<TransportSlot>(SWIM_TRANSPORT_SLOT)
  if (slot === undefined && !resources.closed) {
    slot = { transport: undefined, released: false, opening: undefined }
    resources.hold<TransportSlot>(SWIM_TRANSPORT_SLOT, slot, (held) => {
      held.released = true
      const t = held.transport
      held.transport = undefined
      t?.close()
    })
  }
  return slot
}

/** The transport the actor of `env` is bound to, if any. */
export function swimTransportOf(env: ActorEnv): SwimTransport | undefined {
  return env.resources?.get<TransportSlot>(SWIM_TRANSPORT_SLOT)?.transport
}

/**
 * Releases the actor's transport (closes it); idempotent. A bind still opening at that moment
 * closes what it opens. The release itself is synchronous (the socket closes in this call).
 */
export function closeSwimTransport(env: ActorEnv): void {
  void env.resources?.release(SWIM_TRANSPORT_SLOT)
}

/**
 * The `bind` actor a placement provides, around its transport opener (`open("ip:port", limits)`).
 * After a supervised restart in place it keeps the open transport: same socket, same port, so peers
 * still reach us at the address they know. After a restart in a new thread (nothing in the slot)
 * the input's `rebind` names the address bound before, and only that address is tried.
 *
 * One open at a time per actor: a restore from a snapshot taken while binding restarts the old
 * bind, and the machine's restore starts another; the second waits for the first and takes the
 * transport it opened (an aborted bind still leaves its transport in the slot, unless the actor
 * stopped for good), instead of racing it for the same port.
 */
export function swimBindActor(env: ActorEnv, open: (address: string, limits: StreamLimits) => SwimTransport | Promise<SwimTransport>) {
  return fromPromise<SwimBindOutput, SwimBindInput>(async ({ input }) => {
    const slot = slotOf(env)
    if (slot === undefined) {
      if (env.resources === undefined) throw new SwimBindError('ERR_SWIM_NO_TRANSPORT', 'swim has no resource slots to hold its transport (env.resources): spawn it through the runtime, or give a hand-built env createResourceSlots()')
      throw new SwimBindError('ERR_SWIM_BIND', 'swim stopped before binding')
    }
    while (slot.opening !== undefined) await slot.opening
    if (slot.transport !== undefined) return outputOf(slot.transport)
    if (slot.released) throw new SwimBindError('ERR_SWIM_BIND', 'swim stopped before binding')
    let address = input.rebind ?? input.bind
    let transport: SwimTransport
    const opening = (async () => {
      address ??= formatAddress(input.addr, input.port)
      return open(address, input.limits)
    })()
    slot.opening = opening.then(
      () => undefined,
      () => undefined,
    )
    try {
      transport = await opening
    } catch (err) {
      const cause = toWireError(err)
      if (input.rebind !== undefined) {
        throw new SwimBindError('ERR_SWIM_REBIND', `swim cannot bind ${input.rebind} again after its restart (peers know it there; no other port is tried): ${cause.message}`, {
          cause: err,
          details: { address: input.rebind, cause },
        })
      }
      throw new SwimBindError('ERR_SWIM_BIND', `swim cannot open its transport on ${String(address)}: ${cause.message}`, { cause: err, details: { address, cause } })
    } finally {
      slot.opening = undefined
    }
    if (slot.released) {
      // The actor stopped while the socket was opening: release it at once.
      transport.close()
      throw new SwimBindError('ERR_SWIM_BIND', `swim stopped while binding ${address}`, { details: { address } })
    }
    slot.transport = transport
    return outputOf(transport)
  })
}

function outputOf(transport: SwimTransport): SwimBindOutput {
  return { address: transport.localAddress, port: portOf(transport.localAddress) }
}

function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1))
  return Number.isInteger(port) ? port : 0
}
