/**
 * swim's implementations for a placement, around a transport opener: `open("ip:port")` returns
 * the bound transport (NetTransport.listen in the worker, MemoryNetwork.createTransport in a
 * simulation). worker.ts hosts swim with `nodeSwimIo()` (node-net.ts); an inline spawn spreads
 * `swimIo(open)` into its options: `system.spawn(swim, { id, placement: 'inline', ...swimIo(open) })`.
 */
import type { ActorImplementations } from '../../../src/runtime/define-actor.ts'
import type { StreamLimits } from '../../../src/transport/transport.ts'
import { closeSwimTransport, swimBindActor } from '../transport-slot.ts'
import type { SwimMachine } from '../machine.ts'
import type { SwimTransport } from '../transport-slot.ts'

/**
 * Opens swim's transport on "ip:port" (port 0: an ephemeral port; its localAddress tells which).
 * `limits` are swim's stream bounds (config.streamIdleTimeoutMs, config.maxInboundStreams), for
 * the transport to apply (NetTransport.listen and MemoryNetwork.createTransport take them).
 */
export type SwimTransportOpener = (address: string, limits: StreamLimits) => SwimTransport | Promise<SwimTransport>

export function swimIo(open: SwimTransportOpener): Required<ActorImplementations<SwimMachine>> {
  return {
    provide: (env) => ({ actors: { bind: swimBindActor(env, open) } }),
    // Exit work outside the machine too (a stop that skips `runtime.shutdown`); idempotent.
    onStop: (env) => closeSwimTransport(env),
  }
}
