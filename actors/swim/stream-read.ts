/**
 * Reading one memberlist stream message for push/pull's exchanges (push-pull.ts): the transport's
 * readOneMessage under MAX_STREAM_MESSAGE_BYTES, with a scan of the framing so a message is decoded
 * once it can be complete (stream-scan.ts), memberlist's errResp for an inbound request we cannot
 * read, and every failure counted by kind in swim's counters. The stream is closed on every failure.
 */
import type { Stream } from '../../src/transport/transport.ts'
import { TransportError } from '../../src/transport/transport.ts'
import { readOneMessage } from '../../src/transport/stream-reader.ts'
import type { ReadOneOptions } from '../../src/transport/stream-reader.ts'
import type { ByteLease } from '../../src/transport/stream-budget.ts'
import type { ClusterError } from '../../src/errors/index.ts'
import { MAX_PUSH_STATE_BYTES } from '../../src/wire/stream.ts'
import type { StreamMessage } from '../../src/wire/stream.ts'
import { encodeMessage } from '../../src/wire/memberlist.ts'
import { encodeStreamMessage, tryReadStream } from './packets.ts'
import type { WireSecurity } from './packets.ts'
import { StreamScan } from './stream-scan.ts'
import { streamErrorText } from './join-errors.ts'
import type { SwimCounters } from './counters.ts'

/**
 * Largest stream message we read (bytes): Go's maxPushStateBytes bounds an encrypted frame (20 MiB
 * plus its 5-byte header, spec §2.1). memberlist reads plaintext push/pulls without a bound; we
 * give them the same one, so nothing Go would accept encrypted is refused here plain.
 */
export const MAX_STREAM_MESSAGE_BYTES = MAX_PUSH_STATE_BYTES + 5

/**
 * `inbound`: a request a peer sent us (its failures also set lastStreamErrorCode, and one we cannot
 * read gets an errResp); `onBytes`: told the bytes buffered so far, may refuse them by throwing a
 * coded error; `lease`: the buffer is held against it (the inbound budget).
 */
export type StreamReadOptions = Pick<ReadOneOptions<StreamMessage>, 'deadlineMs' | 'onClose'> & { inbound: boolean; onBytes?: (length: number) => void; lease?: ByteLease }

/** What a read needs from its node (push/pull's host provides it). */
export interface StreamReadHost {
  readonly config: { readonly enableCompression: boolean }
  readonly security: WireSecurity
  /** The counters of the step running now (read when counting: each step may copy them). */
  readonly counters: SwimCounters
  /** Runs work that a stream starts (its bytes, its end) as a step of the node. */
  enter(fn: () => void): void
}

/**
 * Reads one stream message, capped at MAX_STREAM_MESSAGE_BYTES (transport's readOneMessage: the
 * stream is closed on every failure). Failures are counted here by kind; `cb` gets a reason.
 */
export function readStreamMessage(
  host: StreamReadHost,
  stream: Stream,
  options: StreamReadOptions,
  cb: (msg: StreamMessage | undefined, err?: { code: string; message: string }) => void,
): void {
  const onClose = options.onClose
  const scan = new StreamScan(MAX_STREAM_MESSAGE_BYTES)
  let decodeEveryChunk = false
  const full: ReadOneOptions<StreamMessage> = {
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    ...(options.lease === undefined ? {} : { lease: options.lease }),
    maxBytes: MAX_STREAM_MESSAGE_BYTES,
    // Decode only once the scan says the message can be complete (O(n) over all chunks instead
    // of a decode from the start per chunk); if the scan and the decoder ever disagree, or the
    // scan cannot follow the bytes, decode at every chunk from then on.
    parse: (buf) => {
      if (options.onBytes !== undefined) host.enter(() => options.onBytes!(buf.length)) // may refuse (throws a coded error: the stream is closed)
      if (!decodeEveryChunk) {
        const state = scan.feed(buf)
        if (state === 'incomplete') return { done: false }
        if (state === 'too-large') {
          throw new TransportError('ERR_TRANSPORT_TOO_LARGE', `stream message from ${stream.remote} declares at least ${scan.declaredBytes} bytes, over the cap of ${MAX_STREAM_MESSAGE_BYTES}`, {
            declaredBytes: scan.declaredBytes,
            maxBytes: MAX_STREAM_MESSAGE_BYTES,
          })
        }
        if (state === 'unknown') decodeEveryChunk = true
      }
      let r
      try {
        r = tryReadStream(buf, host.security)
      } catch (err) {
        // memberlist's handleConn answers a request it cannot read with an errResp (sealed as
        // anything we send), so the peer learns why: a wrong key reads as a key problem there.
        if (options.inbound) answerError(host, stream, err)
        throw err
      }
      if (!r.done) decodeEveryChunk = true
      return r.done ? { done: true, value: r.message } : { done: false }
    },
    ...(onClose === undefined ? {} : { onClose }),
  }
  readOneMessage(stream, full, (err, msg) =>
    host.enter(() => {
      if (err !== undefined) {
        count(host, err, options.inbound)
        return cb(undefined, { code: err.code, message: err.message })
      }
      cb(msg)
    }),
  )
}

/** Writes memberlist's errResp for a request we could not read (best effort: the stream closes next). */
function answerError(host: StreamReadHost, stream: Stream, err: unknown): void {
  const text = streamErrorText({ code: String((err as { code?: unknown }).code ?? ''), message: err instanceof Error ? err.message : String(err) })
  if (text === undefined) return
  try {
    if (stream.write(encodeStreamMessage(encodeMessage({ type: 'err', Error: text }), host.config.enableCompression, host.security))) host.enter(() => host.counters.errRepliesSent++)
  } catch {
    // An errResp that cannot be encoded is not worth more than the close that follows.
  }
}

function count(host: StreamReadHost, err: ClusterError, inbound: boolean): void {
  const c = host.counters
  if (err.code === 'ERR_TRANSPORT_TOO_LARGE') {
    if (err.details?.['declaredBytes'] !== undefined) c.streamsDeclaredTooLarge++
    else c.streamsTooLarge++
  } else if (err.code === 'ERR_TRANSPORT_BUDGET') c.streamsOverBudget++
  else if (err.code === 'ERR_TRANSPORT_TIMEOUT' && inbound) c.inboundStreamsTimedOut++
  else if (err.code.startsWith('ERR_WIRE_')) c.streamsMalformed++
  // ERR_SWIM_PUSH_PULL_LIMIT was counted (pushPullsRefused) where it was refused.
  else if (err.code !== 'ERR_SWIM_PUSH_PULL_LIMIT') return
  if (inbound) c.lastStreamErrorCode = err.code
}
