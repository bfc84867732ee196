/**
 * NetTransport: the real Transport over a UDP socket (packets) and a TCP listener on the same port
 * (streams), as memberlist binds both on BindPort. Only this file and the other I/O files touch
 * sockets. Send errors are counted, never thrown: UDP is fire-and-forget.
 */
import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import { createServer, connect, isIPv4, isIPv6 } from 'node:net'
import type { Server, Socket } from 'node:net'
import type { InboundPacket, SendOutcome, Stream, StreamCounters, StreamLimits, Transport, TransportAddress } from './transport.ts'
import { createStreamLimits, formatHostPort, parseAddress, TransportError } from './transport.ts'

/** memberlist's UDP receive buffer: any datagram up to 64 KiB. */
const MAX_DATAGRAM = 65_536

export interface NetTransportStats {
  packetsSent: number
  bytesSent: number
  packetsReceived: number
  bytesReceived: number
  sendErrors: number
  streamsOpened: number
  streamsAccepted: number
  dialErrors: number
  /** Streams aborted by their deadline (Stream.setDeadline). */
  deadlinesExpired: number
  /** Streams aborted after StreamLimits.idleTimeoutMs without bytes. */
  idleTimeouts: number
  /** Inbound connections closed at accept: over maxInboundStreams, no handler yet, or closing. */
  inboundRefused: number
}

export class NetTransport implements Transport {
  readonly stats: NetTransportStats = {
    packetsSent: 0,
    bytesSent: 0,
    packetsReceived: 0,
    bytesReceived: 0,
    sendErrors: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
    dialErrors: 0,
    deadlinesExpired: 0,
    idleTimeouts: 0,
    inboundRefused: 0,
  }
  private packetHandler: ((p: InboundPacket) => void) | undefined
  private streamHandler: ((s: Stream) => void) | undefined
  private closed = false
  private readonly open = new Set<Socket>()
  /** Accepted sockets not yet closed (only these count against maxInboundStreams). */
  private readonly inbound = new Set<Socket>()

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    readonly localAddress: TransportAddress,
    readonly limits: StreamLimits,
    /** Bound to an IPv6 address (udp6): IPv4 destinations are sent as IPv4-mapped. */
    private readonly v6 = false,
  ) {
    udp.on('message', (msg, rinfo) => {
      if (msg.length === 0 || msg.length > MAX_DATAGRAM) return
      this.stats.packetsReceived++
      this.stats.bytesReceived += msg.length
      const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length)
      this.packetHandler?.({ from: formatHostPort(rinfo.address, rinfo.port), to: localAddress, bytes, receivedAtMs: Date.now() })
    })
    udp.on('error', () => this.stats.sendErrors++)
    tcp.on('connection', (socket) => {
      if (this.closed || this.streamHandler === undefined || this.inbound.size >= limits.maxInboundStreams) {
        this.stats.inboundRefused++
        return void socket.destroy()
      }
      this.stats.streamsAccepted++
      this.inbound.add(socket)
      socket.once('close', () => this.inbound.delete(socket))
      this.streamHandler(this.wrap(socket))
    })
  }

  /**
   * Binds UDP and TCP on `host:port` (port 0: a free port, the same for both). An IPv6 host binds
   * udp6/tcp6 ("::1"; "::" is dual-stack, its IPv4 peers reported as IPv4). `limits` bound every
   * stream (defaults: DEFAULT_STREAM_LIMITS).
   */
  static async listen(host: string, port: number, limits: Partial<StreamLimits> = {}): Promise<NetTransport> {
    const checked = createStreamLimits(limits)
    const v6 = isIPv6(host)
    for (let attempt = 0; attempt < 10; attempt++) {
      const udp = createSocket(v6 ? 'udp6' : 'udp4')
      const bound = await new Promise<number | Error>((resolve) => {
        udp.once('error', (e) => resolve(e))
        udp.bind(port, host, () => resolve(udp.address().port))
      })
      if (bound instanceof Error) {
        udp.close()
        throw new TransportError('ERR_TRANSPORT_ADDRESS', `cannot bind UDP ${host}:${port}: ${bound.message}`)
      }
      const tcp = createServer()
      const ok = await new Promise<boolean>((resolve) => {
        tcp.once('error', () => resolve(false))
        tcp.listen(bound, host, () => resolve(true))
      })
      if (ok) return new NetTransport(udp, tcp, formatHostPort(host, bound), checked, v6)
      udp.close()
      if (port !== 0) throw new TransportError('ERR_TRANSPORT_ADDRESS', `cannot listen on TCP ${host}:${bound}`)
    }
    throw new TransportError('ERR_TRANSPORT_ADDRESS', `no port free for both UDP and TCP on ${host}`)
  }

  sendPacket(to: TransportAddress, bytes: Uint8Array): SendOutcome {
    if (this.closed) return 'closed'
    if (bytes.length > MAX_DATAGRAM) return 'too-large'
    const { host, port } = parseAddress(to)
    // A udp6 socket reaches IPv4 peers (if dual-stack) only through their IPv4-mapped form.
    const dest = this.v6 && isIPv4(host) ? `::ffff:${host}` : host
    this.stats.packetsSent++
    this.stats.bytesSent += bytes.length
    this.udp.send(bytes, port, dest, (err) => {
      if (err) this.stats.sendErrors++
    })
    return 'sent'
  }

  streamCounters(): StreamCounters {
    const { deadlinesExpired, idleTimeouts, inboundRefused } = this.stats
    return { deadlinesExpired, idleTimeouts, inboundRefused, inboundOpen: this.inbound.size }
  }

  onPacket(handler: (packet: InboundPacket) => void): void {
    this.packetHandler = handler
  }

  onStream(handler: (stream: Stream) => void): void {
    this.streamHandler = handler
  }

  dial(to: TransportAddress, timeoutMs: number): Promise<Stream> {
    return new Promise((resolve, reject) => this.dialCallback(to, timeoutMs, (err, s) => (err === undefined ? resolve(s!) : reject(err))))
  }

  dialCallback(to: TransportAddress, timeoutMs: number, cb: (err: TransportError | undefined, stream?: Stream) => void): void {
    if (this.closed) return void setImmediate(() => cb(new TransportError('ERR_TRANSPORT_CLOSED', 'transport closed')))
    const { host, port } = parseAddress(to)
    const socket = connect({ host, port })
    let done = false
    const timer = setTimeout(() => fail(new TransportError('ERR_TRANSPORT_DIAL', `dial ${to}: timeout after ${timeoutMs} ms`, { to })), timeoutMs)
    const fail = (err: TransportError) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      this.stats.dialErrors++
      cb(err)
    }
    socket.once('error', (e: NodeJS.ErrnoException) => fail(new TransportError(e.code === 'ECONNREFUSED' ? 'ERR_TRANSPORT_REFUSED' : 'ERR_TRANSPORT_DIAL', `dial ${to}: ${e.message}`, { to })))
    socket.once('connect', () => {
      if (done) return
      done = true
      clearTimeout(timer)
      this.stats.streamsOpened++
      cb(undefined, this.wrap(socket))
    })
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.udp.close()
    this.tcp.close()
    for (const s of this.open) s.destroy()
    this.open.clear()
  }

  private wrap(socket: Socket): Stream {
    this.open.add(socket)
    socket.on('close', () => this.open.delete(socket))
    const local = formatHostPort(socket.localAddress ?? '', socket.localPort ?? 0)
    const remote = formatHostPort(socket.remoteAddress ?? '', socket.remotePort ?? 0)
    let endHandler: ((err?: TransportError) => void) | undefined
    let ended = false
    // An end that came before anyone listened: handed to the onEnd handler when it is set.
    let unheard: { err?: TransportError } | undefined
    let deadline: NodeJS.Timeout | undefined
    const finish = (err?: TransportError) => {
      if (ended) return
      ended = true
      if (endHandler !== undefined) endHandler(err)
      else unheard = err === undefined ? {} : { err }
    }
    // A limit reports its own error first, then the destroy's 'close' finds the stream finished.
    const abort = (err: TransportError) => {
      finish(err)
      socket.destroy()
    }
    socket.on('end', () => finish())
    socket.on('error', (e) => finish(new TransportError('ERR_TRANSPORT_CLOSED', e.message)))
    socket.on('close', () => {
      clearTimeout(deadline)
      finish()
    })
    // Node's socket timeout is an idle timer: any byte in or out restarts it.
    socket.setTimeout(this.limits.idleTimeoutMs, () => {
      this.stats.idleTimeouts++
      abort(new TransportError('ERR_TRANSPORT_IDLE', `stream ${local} -> ${remote}: idle for ${this.limits.idleTimeoutMs} ms`))
    })
    return {
      local,
      remote,
      write: (bytes) => {
        if (socket.destroyed) return false
        socket.write(bytes)
        return true
      },
      end: () => socket.end(),
      close: () => socket.destroy(),
      setDeadline: (ms) => {
        if (socket.destroyed) return
        clearTimeout(deadline)
        deadline = setTimeout(() => {
          this.stats.deadlinesExpired++
          abort(new TransportError('ERR_TRANSPORT_TIMEOUT', `stream ${local} -> ${remote}: deadline of ${ms} ms passed`))
        }, Math.max(0, ms))
        deadline.unref()
      },
      onData: (handler) => socket.on('data', (chunk: Buffer) => handler(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))),
      onEnd: (handler) => {
        endHandler = handler
        if (unheard === undefined) return
        const { err } = unheard
        unheard = undefined
        handler(err)
      },
    }
  }
}
