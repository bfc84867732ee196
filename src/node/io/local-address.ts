/**
 * The address to advertise when the node binds every interface (0.0.0.0 or ::) and no `advertise`
 * is given: as Serf's agent does, this host's first private (RFC 1918 / RFC 6598) IPv4 address,
 * else its first non-loopback IPv4 one, else loopback. Reads the OS's interface list.
 */
import { networkInterfaces } from 'node:os'

function isPrivate(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number]
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)
}

export function defaultAdvertiseIp(): string {
  const v4: string[] = []
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) v4.push(i.address)
  return v4.find(isPrivate) ?? v4[0] ?? '127.0.0.1'
}
