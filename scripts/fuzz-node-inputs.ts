/**
 * The hostile input of `npm run fuzz:node` (scripts/fuzz-node.ts), drawn from one seed: datagrams
 * that are garbage, corrupted valid packets, or well-formed memberlist messages with hostile field
 * values (the same kinds as test/sim/support/hostile-arbitraries.ts, without fast-check, fast
 * enough for a million), and push/pull streams whose entries carry them.
 *
 * Every address a message names is one of OUR sockets on loopback (the target, its peer, the
 * attacker's own UDP+TCP port), so a node that probes, acks or dials what it was told only ever
 * reaches the fuzzer's processes, never another program on the machine.
 */
import type { RandomSource } from '../src/types/random.ts'
import { compressMessage, wrapCrc } from '../src/wire/packet.ts'
import { MAX_INCARNATION } from '../actors/swim/acceptance.ts'
import { DEFAULT_VSN } from '../actors/swim/messages.ts'
import { rawMessage, rawPushPull } from '../test/actors/swim/support/raw-wire.ts'
import type { RawFields, RawValue } from '../test/actors/swim/support/raw-wire.ts'

export interface FuzzWorld {
  targetName: string
  peerName: string
  targetPort: number
  peerPort: number
  /** The attacker's port (its UDP socket and a TCP listener, on every loopback address). */
  attackerPort: number
  /** Distinct hostile node names besides the edge cases (bounds the tables: a Sybil flood is not the point). */
  namePool: number
}

const LOOPBACK = Uint8Array.of(127, 0, 0, 1)
const MAPPED = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1)

export class HostileInputs {
  private readonly edgeNames: RawValue[]

  constructor(
    private readonly w: FuzzWorld,
    private readonly random: RandomSource,
  ) {
    const utf8 = new TextEncoder()
    this.edgeNames = ['', 'n'.repeat(512), 'n'.repeat(513), 'a\nb', '\0', `\uFEFF${w.peerName}`, Uint8Array.of(0xef, 0xbb, 0xbf, ...utf8.encode(w.peerName)), Uint8Array.of(0x68, 0xff), Uint8Array.of(0xc3)]
  }

  /** One datagram: 45% well-formed, 30% a corrupted well-formed one, 25% garbage. */
  datagram(): Uint8Array {
    const r = this.random.next()
    if (r < 0.45) return this.wellFormed()
    if (r < 0.75) return this.corrupt(this.wellFormed())
    return this.garbage(1 + this.random.int(1400))
  }

  /** A push/pull with hostile entries (and sometimes garbage user state). */
  pushPull(): Uint8Array {
    const states: RawFields[] = []
    for (let n = this.random.int(8); n > 0; n--) {
      states.push(
        this.fields({ Name: this.name(), Addr: this.addr(), Port: this.port(), Meta: this.meta(), Incarnation: this.incarnation(), State: this.random.int(6), Vsn: this.vsn() }),
      )
    }
    return rawPushPull(this.random.next() < 0.5, states, this.random.next() < 0.2 ? this.garbage(this.random.int(64)) : new Uint8Array(0))
  }

  garbage(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.random.int(256)
    // Half the time, a type byte a receiver will try to parse.
    if (n > 0 && this.random.next() < 0.5) out[0] = this.random.int(14)
    return out
  }

  private wellFormed(): Uint8Array {
    const r = this.random.next()
    if (r < 0.6) return this.message()
    const parts: Uint8Array[] = []
    for (let n = 1 + this.random.int(5); n > 0; n--) parts.push(this.message())
    if (r < 0.9) return compound(parts)
    if (r < 0.95) return wrapCrc(this.message())
    return compressMessage(compound(parts))
  }

  private corrupt(b: Uint8Array): Uint8Array {
    if (b.length === 0) return b
    if (this.random.next() < 0.3) return b.subarray(0, this.random.int(b.length))
    const c = b.slice()
    for (let n = 1 + this.random.int(3); n > 0; n--) c[this.random.int(c.length)] = this.random.int(256)
    return c
  }

  private message(): Uint8Array {
    const r = this.random.next()
    if (r < 0.35) return rawMessage('alive', this.fields({ Incarnation: this.incarnation(), Node: this.name(), Addr: this.addr(), Port: this.port(), Meta: this.meta(), Vsn: this.vsn() }))
    if (r < 0.5) return rawMessage('suspect', this.fields({ Incarnation: this.incarnation(), Node: this.name(), From: this.name() }))
    if (r < 0.65) return rawMessage('dead', this.fields({ Incarnation: this.incarnation(), Node: this.name(), From: this.name() }))
    if (r < 0.75) return rawMessage('ping', this.fields({ SeqNo: this.seq(), Node: this.name(), SourceAddr: this.addr(), SourcePort: this.port(), SourceNode: this.name() }))
    if (r < 0.83) {
      return rawMessage('indirectPing', this.fields({ SeqNo: this.seq(), Target: this.addr(), Port: this.port(), Node: this.name(), Nack: this.random.next() < 0.5, SourceAddr: this.addr(), SourcePort: this.port() }))
    }
    if (r < 0.88) return rawMessage('ack', this.fields({ SeqNo: this.seq(), Payload: this.garbage(this.random.int(16)) }))
    if (r < 0.92) return rawMessage('nack', this.fields({ SeqNo: this.seq() }))
    // A user message: Serf's bytes after 0x08 (a Serf type byte and garbage).
    const payload = this.garbage(1 + this.random.int(40))
    payload[0] = this.random.int(12)
    return Uint8Array.of(8, ...payload)
  }

  /** The fields, each sometimes left out (4%) or of the wrong msgpack type (3%). */
  private fields(values: Record<string, RawValue>): RawFields {
    const out: Array<[string, RawValue]> = []
    for (const [k, v] of Object.entries(values)) {
      const r = this.random.next()
      if (r < 0.04) continue
      out.push([k, r < 0.07 ? WRONG_TYPES[this.random.int(WRONG_TYPES.length)]! : v])
    }
    return out
  }

  private name(): RawValue {
    const r = this.random.next()
    if (r < 0.1) return this.w.targetName
    if (r < 0.2) return this.w.peerName
    if (r < 0.8) return `h${this.random.int(this.w.namePool)}`
    return this.edgeNames[this.random.int(this.edgeNames.length)]!
  }

  /** Loopback only (the mapped form too), or a length no IP has. */
  private addr(): RawValue {
    const r = this.random.next()
    if (r < 0.8) return LOOPBACK
    if (r < 0.9) return MAPPED
    return LOOPBACK_BAD_LENGTHS[this.random.int(LOOPBACK_BAD_LENGTHS.length)]!
  }

  /** One of our ports, or 0 (the receiver's own bind port). */
  private port(): RawValue {
    const ports = [this.w.targetPort, this.w.peerPort, this.w.attackerPort, 0]
    return ports[this.random.int(ports.length)]!
  }

  private incarnation(): RawValue {
    const r = this.random.next()
    if (r < 0.15) return [0, 1, 2, MAX_INCARNATION - 1, MAX_INCARNATION][this.random.int(5)]!
    if (r < 0.85) return this.random.int(64)
    return this.random.int(MAX_INCARNATION + 1)
  }

  private seq(): RawValue {
    return this.random.next() < 0.5 ? this.random.int(64) : this.random.int(MAX_INCARNATION + 1)
  }

  private meta(): RawValue {
    const r = this.random.next()
    if (r < 0.85) return this.garbage(this.random.int(24))
    return new Uint8Array([512, 513, 1300][this.random.int(3)]!)
  }

  private vsn(): RawValue {
    const r = this.random.next()
    if (r < 0.6) return DEFAULT_VSN
    if (r < 0.8) return Uint8Array.from({ length: 6 }, () => this.random.int(7))
    return this.garbage(this.random.int(9))
  }
}

const LOOPBACK_BAD_LENGTHS: Uint8Array[] = [new Uint8Array(0), Uint8Array.of(127, 0, 0), Uint8Array.of(127, 0, 0, 1, 0), new Uint8Array(15), new Uint8Array(17)]
const WRONG_TYPES: RawValue[] = [null, true, -1, 'str', Uint8Array.of(1, 2), 1.5e300, 0x1_0000_0000]

function compound(parts: readonly Uint8Array[]): Uint8Array {
  let size = 2
  for (const p of parts) size += 2 + p.length
  const out = new Uint8Array(size)
  out[0] = 7
  out[1] = parts.length
  let pos = 2
  for (const p of parts) {
    out[pos++] = p.length >> 8
    out[pos++] = p.length & 0xff
  }
  for (const p of parts) {
    out.set(p, pos)
    pos += p.length
  }
  return out
}
