/**
 * Join addresses as memberlist reads them (Join → resolveAddr, ensurePort, hasPort), parsed and
 * checked where swim's config is, so a bad one is a config error naming `swim.join[i]` before
 * anything is dialled instead of a throw inside the running machine:
 *
 * - `host:port`, `[v6]:port`: as given;
 * - `host`, `[v6]`, and a bare IPv6 (`::1`, `fe80::1`): the port is swim.bindPort (7946 in every
 *   preset). memberlist appends its own BindPort, which Serf's agent sets from `-bind` (7946 by
 *   default), so a Serf cluster on its default port is joined by IP alone. As in memberlist, an
 *   address with more than one colon and no brackets is an IPv6 address without a port:
 *   `::1:7946` is the IPv6 address ::1:7946 on port 7946; write `[::1]:7946`;
 * - `name/address`: memberlist's optional node-name prefix (used by its RequireNodeNames, off in
 *   memberlist 0.2.2 and in Serf): accepted and dropped.
 *
 * IP literals come out canonical (RFC 5952 for IPv6, IPv4-mapped IPv6 as IPv4), as the transport
 * formats the addresses it reports.
 *
 * Hostnames (DNS). memberlist resolves a name itself before joining: first with a DNS query over
 * TCP (to get every record of a large answer), then with the system resolver, and pushes/pulls with
 * every IPv4 and IPv6 address it gets. We check the name's syntax here (RFC 1123 labels; `_`
 * allowed, as container and service names use it; a last label that is all digits is refused, so
 * a mistyped IPv4 such as `10.0.0.300` is not taken for a name) and keep it as given: the pure
 * machine does no I/O, and the transport's dial resolves it with the operating system's resolver
 * (Node's net.connect, which tries the addresses it gets until one connects). So one name joins
 * one node, not every address behind it; to join them all, resolve the name first (dns.lookup with
 * `all: true`) and pass the addresses. A name that does not resolve fails that join like a refused
 * dial (join-completed carries the error); the simulator's in-memory network resolves no names.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'
import { parseIp } from '../../src/transport/ip-address.ts'
import { formatHostPort, type TransportAddress } from '../../src/transport/transport.ts'

/**
 * Most addresses in one join: memberlist dials them all at once, and so do we (one TCP stream
 * each), so a list past this is refused rather than opening thousands of sockets. Seed lists are a
 * handful of nodes.
 */
export const MAX_JOIN_ADDRESSES = 1024

/** Longest DNS name (RFC 1035: 253 characters of text) and label (63). */
const MAX_NAME = 253
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/

/**
 * `join` (the input's list, or a `swim.join` message's addresses) as dialable "host:port"
 * addresses. Throws InvalidConfigError naming `<field>` or `<field>[i]`.
 */
export function parseJoinAddresses(join: unknown, defaultPort: number, field = 'swim.join'): TransportAddress[] {
  if (join === undefined) return []
  if (!Array.isArray(join)) throw new InvalidConfigError(field, 'must be an array of addresses ("host", "host:port", "[v6]:port")', { got: join })
  if (join.length > MAX_JOIN_ADDRESSES) throw new InvalidConfigError(field, `must hold at most ${MAX_JOIN_ADDRESSES} addresses (got ${join.length})`)
  return join.map((text, i) => parseJoinAddress(text, defaultPort, `${field}[${i}]`))
}

/** One join address; see the file comment for the forms. Throws InvalidConfigError naming `field`. */
export function parseJoinAddress(text: unknown, defaultPort: number, field: string): TransportAddress {
  if (typeof text !== 'string') throw new InvalidConfigError(field, 'must be an address string ("host", "host:port", "[v6]:port")', { got: text })
  const fail = (rule: string): never => {
    throw new InvalidConfigError(field, rule, { got: text })
  }
  let rest = text
  const slash = rest.indexOf('/')
  if (slash === 0) fail('has an empty node name before "/"')
  if (slash > 0) rest = rest.slice(slash + 1)
  let host: string
  let portText: string | undefined
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    if (close < 0) fail('has "[" without "]"')
    host = rest.slice(1, close)
    const after = rest.slice(close + 1)
    if (after !== '') {
      if (!after.startsWith(':')) fail('must be "[v6]" or "[v6]:port"')
      portText = after.slice(1)
    }
    if (!host.includes(':') || parseIp(host) === undefined) fail('must hold an IPv6 address between "[" and "]"')
  } else {
    const colons = rest.split(':').length - 1
    // memberlist's hasPort: one colon separates a port; more mean a bare IPv6 address.
    if (colons === 1) {
      const at = rest.indexOf(':')
      host = rest.slice(0, at)
      portText = rest.slice(at + 1)
    } else {
      host = rest
    }
  }
  const port = portText === undefined ? defaultPort : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN
  if (!(port >= 1 && port <= 65_535)) {
    fail(portText === undefined ? `has no port, and the default (swim.bindPort) is ${defaultPort}` : 'must have a port in 1..65535')
  }
  if (parseIp(host) === undefined && !isHostname(host)) fail('must be an IP address or a hostname, with an optional port')
  return formatHostPort(host, port)
}

/** RFC 1123 hostname syntax (plus `_`), optional trailing dot, last label not all digits. */
function isHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host
  if (name.length === 0 || name.length > MAX_NAME) return false
  const labels = name.split('.')
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!)
}
