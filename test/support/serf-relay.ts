/**
 * A recording UDP+TCP relay that sits between real `serf agent`s on loopback.
 *
 * Each node N gets a relay port R_N (UDP and TCP, same number). The agent binds its own port P_N but
 * is started with `-advertise 127.0.0.1:R_N`, so every peer addresses N through the relay: memberlist
 * sends to advertised addresses (alive messages, push/pull node states, ping SourceAddr/SourcePort,
 * query Addr/Port), never to the bind address.
 *
 * UDP acts as a symmetric NAT: a datagram that reaches R_N from source port P_M (memberlist sends UDP
 * from its bind socket, so the source port names the sender) is sent on from socket R_M to P_N. N
 * therefore sees M at M's advertised address, exactly as without the relay, and a reply "to the
 * source" comes back through R_M. Datagrams from an unknown source are counted and dropped.
 *
 * TCP: a connection to R_N is piped to P_N. The initiator (ephemeral source port) is identified from
 * /proc (the socket inode of that port, found among the registered agents' file descriptors); when
 * that fails `from` is undefined. Each direction of a connection is recorded as one stream record
 * when the connection closes.
 *
 * `block`/`partition` drop traffic between chosen nodes, for failure-detection tests against real
 * agents.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { ClusterError } from '../../src/errors/index.ts'

const HOST = '127.0.0.1'

export interface RelayRecord {
  /** Milliseconds since the relay started (first byte seen, for TCP). */
  t: number
  transport: 'udp' | 'tcp'
  /** Sender; undefined when a TCP initiator is no registered agent (e.g. a test client). */
  from: string | undefined
  /** Receiver; `client` for the reply to an unidentified TCP initiator. */
  to: string
  bytes: Buffer
  /** TCP only: connection number (per relay) and which side wrote these bytes. */
  conn?: number
  role?: 'request' | 'reply'
}

interface RelayNode {
  name: string
  relayPort: number
  bindPort: number | undefined
  pid: number | undefined
  udp: UdpSocket
  tcp: Server
}

export class SerfRelay {
  readonly records: RelayRecord[] = []
  /** Datagrams dropped because their source port belongs to no registered node. */
  unknownUdpSources = 0
  private readonly nodes = new Map<string, RelayNode>()
  private readonly sockets = new Set<Socket>()
  private readonly start = performance.now()
  private nextConn = 1
  private recording = true
  /** Directed links that drop traffic, as `from>to`. */
  private readonly blocked = new Set<string>()
  /** Datagrams dropped and connections refused because of block()/partition(). */
  droppedByBlock = 0

  /** Opens the relay endpoint of `name` on `relayPort` (UDP and TCP). */
  async addNode(name: string, relayPort: number): Promise<void> {
    if (this.nodes.has(name)) throw new ClusterError('ERR_TEST_RELAY_DUPLICATE', `relay already has node ${name}`)
    const udp = createSocket('udp4')
    const tcp = createServer((socket) => this.onTcp(name, socket))
    const node: RelayNode = { name, relayPort, bindPort: undefined, pid: undefined, udp, tcp }
    udp.on('message', (msg, rinfo) => this.onUdp(node, msg, rinfo.port))
    udp.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind({ address: HOST, port: relayPort, exclusive: true }, () => resolve())
    })
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen({ host: HOST, port: relayPort, exclusive: true }, () => resolve())
    })
    this.nodes.set(name, node)
  }

  /** Tells the relay where the agent of `name` really listens, and its pid (to identify TCP initiators). */
  registerAgent(name: string, bindPort: number, pid: number | undefined): void {
    const node = this.nodes.get(name)
    if (node === undefined) throw new ClusterError('ERR_TEST_RELAY_UNKNOWN_NODE', `relay has no node ${name}`)
    node.bindPort = bindPort
    node.pid = pid
  }

  relayAddr(name: string): string {
    const node = this.nodes.get(name)
    if (node === undefined) throw new ClusterError('ERR_TEST_RELAY_UNKNOWN_NODE', `relay has no node ${name}`)
    return `${HOST}:${node.relayPort}`
  }

  /**
   * Drops UDP from `from` to `to` (and the reverse too unless `oneWay`) until unblocked. A new TCP
   * connection between them is refused if either direction is blocked (TCP needs both); connections
   * already open are left alone.
   */
  block(from: string, to: string, options: { oneWay?: boolean } = {}): void {
    this.blocked.add(`${from}>${to}`)
    if (options.oneWay !== true) this.blocked.add(`${to}>${from}`)
  }

  unblock(from: string, to: string): void {
    this.blocked.delete(`${from}>${to}`)
    this.blocked.delete(`${to}>${from}`)
  }

  /** Blocks every link between the two groups, both ways. */
  partition(side: string[], otherSide: string[]): void {
    for (const a of side) for (const b of otherSide) this.block(a, b)
  }

  /** Removes every block. */
  heal(): void {
    this.blocked.clear()
  }

  /** Stops appending to `records` (traffic is still forwarded). */
  pauseRecording(): void {
    this.recording = false
  }

  resumeRecording(): void {
    this.recording = true
  }

  now(): number {
    return Math.round((performance.now() - this.start) * 10) / 10
  }

  /** Waits (bounded) until every relayed TCP connection has closed and been recorded. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    while (this.sockets.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    return this.sockets.size === 0
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await Promise.all(
      [...this.nodes.values()].map(async (node) => {
        await new Promise<void>((resolve) => node.udp.close(() => resolve()))
        await new Promise<void>((resolve) => node.tcp.close(() => resolve()))
      }),
    )
    this.nodes.clear()
  }

  private record(rec: Omit<RelayRecord, 't'> & { t?: number }): void {
    if (this.recording) this.records.push({ ...rec, t: rec.t ?? this.now() })
  }

  private onUdp(dest: RelayNode, msg: Buffer, sourcePort: number): void {
    const sender = [...this.nodes.values()].find((n) => n.bindPort === sourcePort)
    if (sender === undefined || dest.bindPort === undefined) {
      this.unknownUdpSources++
      return
    }
    if (this.blocked.has(`${sender.name}>${dest.name}`)) {
      this.droppedByBlock++
      return
    }
    this.record({ transport: 'udp', from: sender.name, to: dest.name, bytes: Buffer.from(msg) })
    sender.udp.send(msg, dest.bindPort, HOST)
  }

  private onTcp(destName: string, inbound: Socket): void {
    const dest = this.nodes.get(destName)
    this.sockets.add(inbound)
    inbound.on('close', () => this.sockets.delete(inbound))
    if (dest?.bindPort === undefined) {
      inbound.destroy()
      return
    }
    const conn = this.nextConn++
    const from = this.identifyTcpPeer(inbound.remotePort ?? 0, dest.relayPort)
    if (from !== undefined && (this.blocked.has(`${from}>${destName}`) || this.blocked.has(`${destName}>${from}`))) {
      this.droppedByBlock++
      inbound.destroy()
      return
    }
    const outbound = connect({ host: HOST, port: dest.bindPort })
    this.sockets.add(outbound)
    outbound.on('close', () => this.sockets.delete(outbound))
    const request: Buffer[] = []
    const reply: Buffer[] = []
    let requestT: number | undefined
    let replyT: number | undefined
    inbound.on('data', (chunk) => {
      requestT ??= this.now()
      request.push(chunk)
      outbound.write(chunk)
    })
    outbound.on('data', (chunk) => {
      replyT ??= this.now()
      reply.push(chunk)
      inbound.write(chunk)
    })
    inbound.on('end', () => outbound.end())
    outbound.on('end', () => inbound.end())
    inbound.on('error', () => outbound.destroy())
    outbound.on('error', () => inbound.destroy())
    let closed = 0
    const onClose = (): void => {
      if (++closed < 2) return
      if (request.length > 0) this.record({ t: requestT, transport: 'tcp', from, to: destName, bytes: Buffer.concat(request), conn, role: 'request' })
      if (reply.length > 0) this.record({ t: replyT, transport: 'tcp', from: destName, to: from ?? 'client', bytes: Buffer.concat(reply), conn, role: 'reply' })
    }
    inbound.on('close', onClose)
    outbound.on('close', onClose)
  }

  /** Finds which registered agent owns the TCP socket 127.0.0.1:port connected to our relay port. */
  private identifyTcpPeer(port: number, relayPort: number): string | undefined {
    try {
      const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0')
      const local = `0100007F:${hex(port)}`
      const remote = `0100007F:${hex(relayPort)}`
      const line = readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((cols) => cols[1] === local && cols[2] === remote)
      const inode = line?.[9]
      if (inode === undefined || inode === '0') return undefined
      const target = `socket:[${inode}]`
      for (const node of this.nodes.values()) {
        if (node.pid === undefined) continue
        const dir = `/proc/${node.pid}/fd`
        let fds: string[]
        try {
          fds = readdirSync(dir)
        } catch {
          continue // that agent has exited
        }
        for (const fd of fds) {
          try {
            if (readlinkSync(`${dir}/${fd}`) === target) return node.name
          } catch {
            // fd closed meanwhile
          }
        }
      }
    } catch {
      // /proc unavailable: leave the initiator unknown
    }
    return undefined
  }
}
