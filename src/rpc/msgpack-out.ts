/**
 * msgpack output as Serf's agent writes its RPC messages (go-msgpack 0.5.x with `WriteExt:true`,
 * serf-rpc.md §1.2): strings as `str` (fixstr/str8/str16/str32), byte slices as `bin`, a nil slice or
 * map as nil, integers in their smallest form, floats as float64. This differs from the gossip
 * writer (src/wire/msgpack/writer.ts), which uses the old raw family for both: memberlist's handle
 * has WriteExt off, the agent's RPC handle has it on.
 */
import { MsgpackWriter } from '../wire/msgpack/writer.ts'

const UTF8 = new TextEncoder()

export class RpcWriter extends MsgpackWriter {
  /** A Go string: fixstr / str8 / str16 / str32. */
  str(s: string): void {
    const bytes = UTF8.encode(s)
    const n = bytes.length
    if (n < 32) this.byte(0xa0 | n)
    else if (n <= 0xff) {
      this.byte(0xd9)
      this.byte(n)
    } else if (n <= 0xffff) {
      this.byte(0xda)
      this.byte(n >>> 8)
      this.byte(n & 0xff)
    } else {
      this.byte(0xdb)
      this.u32be(n)
    }
    this.raw(bytes)
  }

  /** A Go []byte: bin8 / bin16 / bin32; null (a nil slice) is msgpack nil. */
  bin(b: Uint8Array | null): void {
    if (b === null) {
      this.nil()
      return
    }
    const n = b.length
    if (n <= 0xff) {
      this.byte(0xc4)
      this.byte(n)
    } else if (n <= 0xffff) {
      this.byte(0xc5)
      this.byte(n >>> 8)
      this.byte(n & 0xff)
    } else {
      this.byte(0xc6)
      this.u32be(n)
    }
    this.raw(b)
  }

  /** A map[string]string; null is a nil map. Keys in ascending order, as the agent writes them. */
  strMap(m: Readonly<Record<string, string>> | null): void {
    if (m === null) {
      this.nil()
      return
    }
    const keys = Object.keys(m).sort()
    this.mapHeader(keys.length)
    for (const k of keys) {
      this.str(k)
      this.str(m[k]!)
    }
  }

  /** A []string; null is a nil slice. */
  strList(list: readonly string[] | null): void {
    if (list === null) {
      this.nil()
      return
    }
    this.arrayHeader(list.length)
    for (const s of list) this.str(s)
  }

  private u32be(n: number): void {
    this.byte((n >>> 24) & 0xff)
    this.byte((n >>> 16) & 0xff)
    this.byte((n >>> 8) & 0xff)
    this.byte(n & 0xff)
  }
}
