/**
 * The datagram phase of `npm run fuzz:node` (scripts/fuzz-node.ts) and its pacing. The attack is
 * about content, not volume: datagrams go out while the target's UDP receive queue (the kernel's,
 * /proc/net/udp) has room, so the socket's buffer never overflows and drops the peer's pings with
 * the attack. Where that table cannot be read, the attacker keeps at most 128 datagrams ahead of
 * what the target's swim has taken (looser: the target's own traffic counts as taken too).
 */
import { readFileSync } from 'node:fs'
import type { Socket as UdpSocket } from 'node:dgram'
import type { HostileInputs } from './fuzz-node-inputs.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The kernel's row for the UDP socket bound to 127.0.0.1:`port` (Linux /proc/net/udp), or undefined. */
export function udpSocketRow(port: number): { rxQueue: number; drops: number } | undefined {
  try {
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n')) {
      const cols = line.trim().split(/\s+/)
      if (cols[1] !== local) continue
      return { rxQueue: Number.parseInt(cols[4]!.split(':')[1]!, 16), drops: Number(cols[cols.length - 1]) }
    }
  } catch {
    // not Linux
  }
  return undefined
}

export interface PhaseOptions {
  total: number
  /** Datagrams a second at most. */
  rate: number
  maxMs: number
}

/** Datagrams the attacker may send now (having sent `sent`) without overfilling the target's receive queue. */
export type Headroom = (sent: number) => number

/**
 * From the kernel: the target socket's receive queue (bytes, /proc/net/udp rx_queue) under
 * `queueBytes`, counting 2 KiB a datagram (a loopback skb of a full-size datagram). Undefined when
 * the table cannot be read.
 */
export function kernelHeadroom(port: number, queueBytes: number): Headroom | undefined {
  const queued = (): number | undefined => udpSocketRow(port)?.rxQueue
  if (queued() === undefined) return undefined
  return () => Math.max(0, Math.floor((queueBytes - (queued() ?? queueBytes)) / 2048))
}

/** Fallback: at most 128 datagrams ahead of what the target's swim has taken (`taken()`, polled). */
export function counterHeadroom(taken: () => number): Headroom {
  const taken0 = taken()
  return (sent) => Math.max(0, taken() - taken0 + 128 - sent)
}

/**
 * Sends up to `total` datagrams as `headroom` allows and at most `rate` a second, for at most
 * `maxMs`; gives the target's worker the rest of each millisecond.
 */
export async function datagramPhase(udp: UdpSocket, targetPort: number, inputs: HostileInputs, o: PhaseOptions, headroom: Headroom, progress: (sent: number, ms: number) => void) {
  const started = Date.now()
  let sent = 0
  let sendErrors = 0
  let lastProgress = started
  while (sent < o.total && Date.now() - started < o.maxMs) {
    const byRate = Math.floor(((Date.now() - started) * o.rate) / 1000) + 1
    const due = Math.min(o.total, byRate, sent + headroom(sent))
    while (sent < due) {
      sent++
      udp.send(inputs.datagram(), targetPort, '127.0.0.1', (err) => void (err && sendErrors++))
    }
    if (Date.now() - lastProgress >= 10_000) {
      lastProgress = Date.now()
      progress(sent, lastProgress - started)
    }
    await sleep(1)
  }
  return { sent, sendErrors, ms: Date.now() - started }
}
