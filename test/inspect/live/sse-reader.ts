/** Test clients of the live page: a reading SSE client that parses messages, and a raw socket that never reads. */
import { get, type ClientRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { LiveMsg } from '../../../src/inspect/live/index.ts'

export interface SseReader {
  status: number
  messages: LiveMsg[]
  bytes: number
  ended: boolean
  close(): void
}

/** Opens `url` + events; resolves once the response head is in (status 200 or 503). */
export function readEvents(url: string): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest
    const reader: SseReader = { status: 0, messages: [], bytes: 0, ended: false, close: () => req.destroy() }
    req = get(`${url}events`, (res) => {
      reader.status = res.statusCode ?? 0
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        reader.bytes += chunk.length
        buf += chunk
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, i)
          buf = buf.slice(i + 2)
          for (const line of frame.split('\n')) if (line.startsWith('data: ')) reader.messages.push(JSON.parse(line.slice(6)) as LiveMsg)
        }
      })
      res.on('end', () => void (reader.ended = true))
      res.on('close', () => void (reader.ended = true))
      res.on('error', () => void (reader.ended = true))
      resolve(reader)
    })
    req.on('error', reject)
  })
}

/** A client that asks for the stream and then never reads a byte of it. */
export function neverReads(url: string): Promise<Socket> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port) }, () => {
      s.write(`GET /events HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`)
      s.pause()
      resolve(s)
    })
    s.on('error', reject)
  })
}

/** Waits (real time, bounded) until `f` holds. */
export async function until(f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
