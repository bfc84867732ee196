/**
 * A swim transport opener on a MemoryNetwork whose dial throws for one address: a join to it makes
 * the swim machine's action throw, so the actor crashes and its supervisor restarts it in place.
 * Port 0 gets an ephemeral port (`ephemeralFrom`, counting up), as a socket would.
 */
import type { SwimTransportOpener } from '../../../../actors/swim/io/swim-io.ts'
import type { MemoryNetwork } from '../../../../src/transport/memory-network.ts'
import type { TransportAddress } from '../../../../src/transport/transport.ts'
import { parseAddress } from '../../../../src/transport/transport.ts'

/** Opens endpoints on `net`; dialling `boom` throws. Each address asked for is appended to `opened`. */
export function crashingOpener(net: MemoryNetwork, boom: TransportAddress, opened: TransportAddress[] = [], ephemeralFrom = 40_000): SwimTransportOpener {
  let nextPort = ephemeralFrom
  return (at, limits) => {
    opened.push(at)
    const { host, port } = parseAddress(at)
    const t = net.createTransport(port === 0 ? `${host}:${nextPort++}` : at, limits)
    return {
      get localAddress() {
        return t.localAddress
      },
      sendPacket: (to, bytes) => t.sendPacket(to, bytes),
      onPacket: (h) => t.onPacket(h),
      onStream: (h) => t.onStream(h),
      dialCallback: (to, ms, cb) => {
        if (to === boom) throw new Error('dial exploded')
        t.dialCallback(to, ms, cb)
      },
      close: () => t.close(),
      streamCounters: () => t.streamCounters(),
    }
  }
}
