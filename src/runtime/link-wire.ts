/**
 * What a link's payloads look like on its port, both ways. Items travel alone (one item as the
 * plain object, several as an array), or wrapped in a data frame when credit is owed; a lone reply
 * carries the credit itself; credit with no data goes as an ack frame. A payload that structured
 * clone refuses never escapes into the sender's event loop: what can be cloned is posted item by
 * item, the credit on its own frame, and the rest is returned to the link.
 */
import type { MessagePort } from 'node:worker_threads'
import { F_ACK, F_DATA, F_REPLY } from './frames.ts'

/**
 * Largest batch in one postMessage. Smaller batches let the receiver start while the sender is
 * still serialising the next one (the window of `capacity` in flight keeps both threads busy).
 */
export const MAX_BATCH = 256

/** An item the port refused to clone, with the error it gave. */
export interface Unsendable {
  item: unknown
  err: unknown
}

/**
 * Posts `payload` (one item when `n` is 1, else an array of `n`) with `ack` items of credit (0:
 * none). Returns undefined when it was posted whole, else the items that could not be posted.
 */
export function postPayload(port: MessagePort, payload: unknown, n: number, ack: number): Unsendable[] | undefined {
  // A lone reply carries the credit itself (the runtime made the item; no wrapping frame).
  const stamped = ack > 0 && n === 1 && (payload as { k?: unknown }).k === F_REPLY
  try {
    if (ack === 0) port.postMessage(payload)
    else if (stamped) {
      ;(payload as { a?: number }).a = ack
      port.postMessage(payload)
    } else port.postMessage({ k: F_DATA, a: ack, d: payload })
    return undefined
  } catch (err) {
    // Something in it cannot be cloned (a function, a socket...). The credit goes back on its own
    // frame: off the reply it was stamped on, and only there (an actor message's own `a` is the
    // machine's field, never touched).
    if (stamped) delete (payload as { a?: number }).a
    return postSeparately(port, n === 1 ? [payload] : (payload as unknown[]), ack, err)
  }
}

function postSeparately(port: MessagePort, items: unknown[], ack: number, firstError: unknown): Unsendable[] {
  if (ack > 0) port.postMessage({ k: F_ACK, n: ack })
  const refused: Unsendable[] = []
  for (const item of items) {
    try {
      port.postMessage(item)
    } catch (err) {
      refused.push({ item, err: err ?? firstError })
    }
  }
  return refused
}

/**
 * Reads what the peer posted: hands each item to `onItem` in order and the credit it carries to
 * `onCredit`. Returns how many items it handed over, or -1 when there were none to hand (an ack
 * frame, or not an object at all).
 */
export function readPayload(data: unknown, onItem: (item: unknown) => void, onCredit: (n: number) => void): number {
  if (data === null || typeof data !== 'object') return -1
  if (typeof (data as { type?: unknown }).type === 'string') {
    onItem(data)
    return 1
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) onItem(data[i])
    return data.length
  }
  const k = (data as { k?: unknown }).k
  if (k === F_ACK) {
    onCredit((data as { n: number }).n)
    return -1
  }
  if (k === F_DATA) {
    const frame = data as { a: number; d: unknown }
    onCredit(frame.a)
    const d = frame.d
    if (!Array.isArray(d)) {
      onItem(d)
      return 1
    }
    for (let i = 0; i < d.length; i++) onItem(d[i])
    return d.length
  }
  if (k === F_REPLY) {
    const a = (data as { a?: number }).a
    if (a !== undefined) onCredit(a)
  }
  onItem(data)
  return 1
}
