/**
 * The handshake between a placement and the swim machine (pure: no I/O of its own). The placement
 * provides the machine's `bind` actor (swimBindActor around its opener); the opened transport is
 * kept in a slot keyed by the actor's env, the one object the runtime hands both to the machine
 * factory and to `provide(env)`. So the transport never enters the XState context or an event,
 * which stay structured-cloneable (the runtime snapshots them and forwards inspection across
 * threads), and the invoked actor's output is plain data.
 */
import { fromPromise } from 'xstate'
import type { ActorEnv } from '../../../src/types/actor-env.ts'
import { ClusterError, toWireError } from '../../../src/errors/index.ts'
import type { Stream, TransportError } from '../../../src/transport/transport.ts'
import { formatAddress } from '../../../src/transport/transport.ts'

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
}

/** Where the `bind` actor should listen (plain data: it is the invoked actor's input). */
export interface SwimBindInput {
  /** Advertised raw IP (4 or 16 bytes) and port; the bind address defaults to these. */
  addr: Uint8Array
  port: number
  /** "ip:port" to listen on when it differs from the advertised one (e.g. "0.0.0.0:7946"). */
  bind?: string
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
  constructor(code: 'ERR_SWIM_NO_TRANSPORT' | 'ERR_SWIM_BIND', message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options)
  }
}

interface TransportSlot {
  transport: SwimTransport | undefined
  /** Closed for good (the actor stopped): a transport that is bound after this is closed at once. */
  closed: boolean
}

const slots = new WeakMap<ActorEnv, TransportSlot>()

function slotOf(env: ActorEnv): TransportSlot {
  let slot = slots.get(env)
  if (slot === undefined) {
    slot = { transport: undefined, closed: false }
    slots.set(env, slot)
  }
  return slot
}

/** The transport the actor of `env` is bound to, if any. */
export function swimTransportOf(env: ActorEnv): SwimTransport | undefined {
  return slots.get(env)?.transport
}

/** Closes the actor's transport; idempotent, and any transport bound later is closed at once. */
export function closeSwimTransport(env: ActorEnv): void {
  const slot = slotOf(env)
  slot.closed = true
  const t = slot.transport
  slot.transport = undefined
  t?.close()
}

/**
 * The `bind` actor a placement provides, around its transport opener (`open("ip:port")`). After a
 * supervised restart in place it keeps the open transport: same socket, same port, so peers still
 * reach us at the address they know.
 */
export function swimBindActor(env: ActorEnv, open: (address: string) => SwimTransport | Promise<SwimTransport>) {
  return fromPromise<SwimBindOutput, SwimBindInput>(async ({ input, signal }) => {
    const slot = slotOf(env)
    if (slot.transport !== undefined) return { address: slot.transport.localAddress, port: portOf(slot.transport.localAddress) }
    let address = input.bind
    let transport: SwimTransport
    try {
      address ??= formatAddress(input.addr, input.port)
      transport = await open(address)
    } catch (err) {
      throw new SwimBindError('ERR_SWIM_BIND', `swim cannot open its transport on ${String(address)}: ${toWireError(err).message}`, {
        cause: err,
        details: { address, cause: toWireError(err) },
      })
    }
    if (slot.closed || signal.aborted) {
      // The actor stopped while the socket was opening: release it at once.
      transport.close()
      throw new SwimBindError('ERR_SWIM_BIND', `swim stopped while binding ${address}`, { details: { address } })
    }
    slot.transport = transport
    return { address: transport.localAddress, port: portOf(transport.localAddress) }
  })
}

function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1))
  return Number.isInteger(port) ? port : 0
}
