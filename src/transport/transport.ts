/**
 * The transport seen by swim: unreliable packets (UDP) and reliable streams (TCP) between
 * addresses. An endpoint of the in-memory network (memory-transport.ts) and the real UDP/TCP
 * transport implement the same interface, so the actors cannot tell them apart. Bytes are carried
 * exactly as they would go on the wire: packets are whole memberlist packets (CRC, compound,
 * compression, encryption already applied by the sender), streams carry the real stream encoding
 * (spec §2.1).
 */
import { ClusterError, InvalidConfigError } from '../errors/index.ts'
import { canonicalIp, formatIp, parseIp } from './ip-address.ts'

/** "ip:port", e.g. "10.0.0.7:7946" (IPv6 as "[::1]:7946"). */
export type TransportAddress = string

/** One received datagram. */
export interface InboundPacket {
  from: TransportAddress
  to: TransportAddress
  bytes: Uint8Array
  /** When it arrived, on the transport's clock (ms). */
  receivedAtMs: number
}

/** What happened to an outbound packet at the sending side. Loss in flight is not visible here. */
export type SendOutcome = 'sent' | 'too-large' | 'closed'

/**
 * A reliable, ordered byte stream between two addresses (one TCP connection). Chunks may be split
 * or merged in transit like TCP segments; readers must parse the byte stream, not rely on chunking.
 */
export interface Stream {
  readonly local: TransportAddress
  readonly remote: TransportAddress
  /** Queues bytes for the peer. Returns false once the stream is closed. */
  write(bytes: Uint8Array): boolean
  /** Half-close: no more writes from this side; the peer sees end after the data already sent. */
  end(): void
  /** Abort both directions. */
  close(): void
  /**
   * Go's conn.SetDeadline: unless the stream is over by `ms` from now, it is aborted and onEnd gets
   * ERR_TRANSPORT_TIMEOUT (counted as deadlinesExpired). A later call replaces the deadline.
   */
  setDeadline(ms: number): void
  onData(handler: (chunk: Uint8Array) => void): void
  /** Called once: the peer ended its side, or the stream was closed or failed (then with an error). */
  onEnd(handler: (err?: TransportError) => void): void
}

export interface Transport {
  /** The address peers use to reach us. */
  readonly localAddress: TransportAddress
  sendPacket(to: TransportAddress, bytes: Uint8Array): SendOutcome
  onPacket(handler: (packet: InboundPacket) => void): void
  /**
   * Opens a stream; rejects with TransportError: ERR_TRANSPORT_REFUSED when the peer's host answered
   * that nothing listens there (a reset: the process is gone), ERR_TRANSPORT_DIAL on a timeout or
   * any other failure.
   */
  dial(to: TransportAddress, timeoutMs: number): Promise<Stream>
  onStream(handler: (stream: Stream) => void): void
  /** Stops intake; later sends return 'closed' and dials reject. */
  close(): void
  /** What the stream limits did so far, and how many inbound streams are open now. */
  streamCounters(): StreamCounters
}

/**
 * Bounds every transport puts on its streams, whoever uses them. memberlist bounds a connection
 * only by the deadline its handler sets; a stream nobody reads or a flood of accepted connections
 * must still end somewhere, so these are backstops under swim's own deadlines.
 */
export interface StreamLimits {
  /** A stream with no bytes in either direction for this long is aborted (ERR_TRANSPORT_IDLE), ms. */
  idleTimeoutMs: number
  /** Inbound streams open at once; one more is refused at accept (closed, counted). */
  maxInboundStreams: number
}

export const DEFAULT_STREAM_LIMITS: Readonly<StreamLimits> = {
  // Longer than any exchange swim allows: the initiator's whole push/pull deadline is 2 × TCPTimeout
  // (60 s with the WAN preset), so only a stream nobody deals with any more reaches this.
  idleTimeoutMs: 90_000,
  // memberlist's 128 concurrent inbound push/pulls, plus as many TCP pings and user messages.
  maxInboundStreams: 256,
}

export function createStreamLimits(init: Partial<StreamLimits> = {}): StreamLimits {
  const limits = { ...DEFAULT_STREAM_LIMITS, ...init }
  validateStreamLimits(limits)
  return limits
}

export function validateStreamLimits(limits: StreamLimits): void {
  if (!(Number.isFinite(limits.idleTimeoutMs) && limits.idleTimeoutMs >= 1)) {
    throw new InvalidConfigError('transport.idleTimeoutMs', `must be a finite number of ms >= 1 (got ${limits.idleTimeoutMs})`)
  }
  if (!(Number.isInteger(limits.maxInboundStreams) && limits.maxInboundStreams >= 1)) {
    throw new InvalidConfigError('transport.maxInboundStreams', `must be an integer >= 1 (got ${limits.maxInboundStreams})`)
  }
}

/** Counters of the stream limits of one transport. */
export interface StreamCounters {
  /** Streams aborted by their deadline (setDeadline). */
  deadlinesExpired: number
  /** Streams aborted after idleTimeoutMs without bytes. */
  idleTimeouts: number
  /** Inbound streams closed at accept: over maxInboundStreams, no handler yet, or closing. */
  inboundRefused: number
  /** Inbound streams open now. */
  inboundOpen: number
}

export type TransportErrorCode =
  | 'ERR_TRANSPORT_DIAL'
  /** A dial the peer's host refused (ECONNREFUSED): it is up, but nothing listens at the port. */
  | 'ERR_TRANSPORT_REFUSED'
  | 'ERR_TRANSPORT_CLOSED'
  /** A stream's deadline passed (setDeadline). */
  | 'ERR_TRANSPORT_TIMEOUT'
  | 'ERR_TRANSPORT_ADDRESS'
  /** A stream idle past StreamLimits.idleTimeoutMs. */
  | 'ERR_TRANSPORT_IDLE'
  /** A stream message larger than its reader's cap (stream-reader.ts), received or declared. */
  | 'ERR_TRANSPORT_TOO_LARGE'
  /** A stream read refused because the bytes buffered by all reads reached their budget (stream-budget.ts). */
  | 'ERR_TRANSPORT_BUDGET'

/** Thrown (or passed to onEnd) when a dial, read or write fails. */
export class TransportError extends ClusterError {
  static override name = 'TransportError'
  constructor(code: TransportErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? {} : { details })
  }
}

/** Splits "ip:port" / "[v6]:port". Throws ERR_TRANSPORT_ADDRESS on anything else. */
export function parseAddress(address: TransportAddress): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port > 65_535) throw new TransportError('ERR_TRANSPORT_ADDRESS', `not a host:port address: ${JSON.stringify(address)}`)
  return { host: (m[1] ?? m[2])!, port }
}

/**
 * Formats raw IP bytes (4, or 16 incl. IPv4-mapped, spec §1.8) and a port as a TransportAddress.
 * IPv6 is written canonically (RFC 5952, "[::1]:7946"), as formatHostPort writes socket addresses.
 */
export function formatAddress(ip: Uint8Array, port: number): TransportAddress {
  const text = formatIp(ip)
  if (text === undefined) throw new TransportError('ERR_TRANSPORT_ADDRESS', `IP must be 4 or 16 bytes, got ${ip.length}`)
  return text.includes(':') ? `[${text}]:${port}` : `${text}:${port}`
}

/**
 * A host as a socket reports it (or as configured) and a port, as a TransportAddress: IP literals
 * in canonical form (IPv4-mapped IPv6 as IPv4, so a dual-stack socket's peers match the addresses
 * gossip carries), anything else as given.
 */
export function formatHostPort(host: string, port: number): TransportAddress {
  const text = canonicalIp(host) ?? host
  return text.includes(':') ? `[${text}]:${port}` : `${text}:${port}`
}

/** IPv4 or IPv6 text to the raw bytes memberlist sends (4 or 16). Throws ERR_TRANSPORT_ADDRESS. */
export function ipBytes(host: string): Uint8Array {
  const ip = parseIp(host)
  if (ip === undefined) throw new TransportError('ERR_TRANSPORT_ADDRESS', `not an IP address: ${JSON.stringify(host)}`)
  return ip
}

/** IPv4 text to 4 raw bytes (what memberlist sends for IPv4, spec §1.8). */
export function ipv4Bytes(host: string): Uint8Array {
  const parts = host.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new TransportError('ERR_TRANSPORT_ADDRESS', `not an IPv4 address: ${JSON.stringify(host)}`)
  }
  return Uint8Array.from(parts)
}
