/**
 * Who sends from an address: datagrams carry no sender name, so swim keeps the bound address of
 * every member it indexed (a join, an update) and looks senders up here (the phi detector's
 * heartbeats, the refresh rules, Gossamer's sender names, user messages' CRC choice). Pruned with
 * the node table (reapDead), so it never holds more than the table. Pure data, no node.
 */
import type { TransportAddress } from '../../src/transport/transport.ts'
import { formatAddress } from '../../src/transport/transport.ts'

/** The address a member's packets go to; its port 0 means ours (`ownPort`), as memberlist reads it. */
export function memberAddress(n: { addr: Uint8Array; port: number }, ownPort: number): TransportAddress {
  return formatAddress(n.addr, n.port === 0 ? ownPort : n.port)
}

export class AddressIndex {
  private readonly byAddress = new Map<TransportAddress, string>()
  /** The address each name is indexed under (to unindex it on an address change or removal). */
  private readonly byName = new Map<string, TransportAddress>()

  constructor(selfName: string, selfAddress: TransportAddress) {
    this.byAddress.set(selfAddress, selfName)
    this.byName.set(selfName, selfAddress)
  }

  /** The member whose bound address is `addr` (a datagram's source), if known. */
  nameAt(addr: TransportAddress): string | undefined {
    return this.byAddress.get(addr)
  }

  /** `name` is at `addr` now; a member that came back at another address no longer owns its old one. */
  index(name: string, addr: TransportAddress): void {
    const old = this.byName.get(name)
    if (old === addr) return
    if (old !== undefined && this.byAddress.get(old) === name) this.byAddress.delete(old)
    this.byName.set(name, addr)
    this.byAddress.set(addr, name)
  }

  /** Forgets `name` (reaped from the table); its address stays if someone else took it since. */
  forget(name: string): void {
    const addr = this.byName.get(name)
    this.byName.delete(name)
    if (addr !== undefined && this.byAddress.get(addr) === name) this.byAddress.delete(addr)
  }

  /** Addresses indexed (diagnostics: within the table's size). */
  get size(): number {
    return this.byAddress.size
  }
}
