/**
 * Shallow classification of captured packets and streams for scripts/capture-serf-vectors.ts: the
 * chain of type bytes (`crc(compress(compound[alive,user:join]))`), after AES-GCM decryption with the
 * known key and LZW decompression. Deliberately independent of src/wire (the codec under test): the
 * golden test recomputes the same notation from the codec's decoding and compares.
 */
import { createDecipheriv, type DecipherGCM } from 'node:crypto'
import type { RelayRecord } from '../../test/support/serf-relay.ts'

const MEMBERLIST_TYPES = ['ping', 'indirectPing', 'ack', 'suspect', 'alive', 'dead', 'pushPull', 'compound', 'user', 'compress', 'encrypt', 'nack', 'hasCrc', 'err']
const SERF_TYPES = ['leave', 'join', 'pushPull', 'userEvent', 'query', 'queryResponse', 'conflictResponse', 'keyRequest', 'keyResponse', 'relay']
/** Shallow classification of one packet or stream: the chain of type bytes. */
export function signature(rec: RelayRecord, key: Buffer | undefined): string {
  const prefix = rec.transport === 'tcp' ? `tcp:${rec.role ?? '?'}:` : 'udp:'
  try {
    if (rec.transport === 'udp') {
      if (key === undefined) return prefix + packetSig(rec.bytes)
      return `${prefix}enc(${packetSig(gcmOpen(key, rec.bytes, Buffer.alloc(0)))})`
    }
    if (rec.bytes[0] === 10 && key !== undefined) {
      const len = rec.bytes.readUInt32BE(1)
      const inner = gcmOpen(key, rec.bytes.subarray(5, 5 + len), rec.bytes.subarray(0, 5))
      return `${prefix}enc(${packetSig(inner)})`
    }
    return prefix + packetSig(rec.bytes)
  } catch (err) {
    return `${prefix}unparsed(${(err as Error).message})`
  }
}

function gcmOpen(key: Buffer, data: Buffer, ad: Buffer): Buffer {
  if (data[0] !== 1) throw new Error(`encryption version ${String(data[0])}`)
  const nonce = data.subarray(1, 13)
  const tag = data.subarray(data.length - 16)
  const decipher = createDecipheriv(`aes-${key.length * 8}-gcm`, key, nonce) as DecipherGCM
  decipher.setAAD(ad)
  decipher.setAuthTag(tag)
  return Buffer.concat([decipher.update(data.subarray(13, data.length - 16)), decipher.final()])
}

function packetSig(buf: Buffer): string {
  const type = buf[0]
  if (type === undefined) return 'empty'
  if (type === 12) return `crc(${packetSig(buf.subarray(5))})`
  if (type === 7) {
    const n = buf[1] ?? 0
    const parts: string[] = []
    let offset = 2 + 2 * n
    for (let i = 0; i < n; i++) {
      const len = buf.readUInt16BE(2 + 2 * i)
      parts.push(packetSig(buf.subarray(offset, offset + len)))
      offset += len
    }
    return `compound[${parts.join(',')}]`
  }
  if (type === 9) return `compress(${packetSig(lzwInner(buf))})`
  if (type === 8) {
    const serf = buf[1]
    const name = serf === undefined ? 'empty' : (SERF_TYPES[serf] ?? `serf${serf}`)
    // Node- and tag-filtered queries differ from plain ones only in the body; keep them apart.
    const filtered = serf === 4 && !buf.includes(Buffer.from('a746696c74657273c0', 'hex')) ? '+filters' : ''
    // A query ack is a queryResponse with Flags 1 and no payload; keep acks and responses apart.
    const ack = (serf === 5 || serf === 9) && buf.includes(Buffer.from('a5466c61677301', 'hex')) ? '+ack' : ''
    return `user:${name}${filtered}${ack}`
  }
  return MEMBERLIST_TYPES[type] ?? `type${type}`
}

/**
 * The plaintext inside `[9]{Algo: 0, Buf: <raw>}`: finds the Buf raw string after the `a3 "Buf"`
 * key and runs Go's LZW reader rules (LSB first, 8-bit literals, clear 256, EOF 257, codes up to 12
 * bits). Only for classification; the codec under test has its own implementation.
 */
function lzwInner(buf: Buffer): Buffer {
  const at = buf.indexOf(Buffer.from('a3427566', 'hex'))
  if (at < 0) throw new Error('compress without Buf')
  let p = at + 4
  const marker = buf[p] ?? 0
  let len: number
  if (marker >= 0xa0 && marker <= 0xbf) (len = marker & 0x1f), (p += 1)
  else if (marker === 0xd9 || marker === 0xc4) (len = buf[p + 1] ?? 0), (p += 2)
  else if (marker === 0xda || marker === 0xc5) (len = buf.readUInt16BE(p + 1)), (p += 3)
  else if (marker === 0xdb || marker === 0xc6) (len = buf.readUInt32BE(p + 1)), (p += 5)
  else throw new Error(`Buf marker ${marker}`)
  return lzwDecode(buf.subarray(p, p + len))
}

function lzwDecode(input: Buffer): Buffer {
  const CLEAR = 256
  const EOF = 257
  const INVALID = 0xffff
  const prefix = new Uint16Array(4096)
  const suffix = new Uint8Array(4096)
  const out: number[] = []
  let width = 9
  let hi = EOF
  let overflow = 512
  let last = INVALID
  let bits = 0
  let nBits = 0
  let pos = 0
  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) throw new Error('lzw: unexpected end')
      bits |= (input[pos++] ?? 0) << nBits
      nBits += 8
    }
    const code = bits & ((1 << width) - 1)
    bits >>>= width
    nBits -= width
    if (code === CLEAR) {
      width = 9
      hi = EOF
      overflow = 512
      last = INVALID
      continue
    }
    if (code === EOF) return Buffer.from(out)
    if (code < CLEAR) {
      out.push(code)
      if (last !== INVALID) (suffix[hi] = code), (prefix[hi] = last)
    } else if (code <= hi) {
      const chain: number[] = []
      let c = code
      if (code === hi && last !== INVALID) {
        let head = last
        while (head >= CLEAR) head = prefix[head] ?? 0
        chain.push(head)
        c = last
      }
      while (c >= CLEAR) {
        chain.push(suffix[c] ?? 0)
        c = prefix[c] ?? 0
      }
      chain.push(c)
      for (let i = chain.length - 1; i >= 0; i--) out.push(chain[i] ?? 0)
      if (last !== INVALID) (suffix[hi] = c), (prefix[hi] = last)
    } else {
      throw new Error('lzw: invalid code')
    }
    last = code
    hi++
    if (hi >= overflow) {
      if (width === 12) (last = INVALID), hi--
      else (width++, (overflow = 1 << width))
    }
  }
}

