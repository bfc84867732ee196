/**
 * A bounded async iterator of leader changes for one consumer (ElectionBackend.changes): pushes
 * never block the backend, the buffer holds at most `bufferSize` changes, and a consumer that falls
 * further behind gets ERR_ELECTION_CHANGES_OVERFLOW instead of a silently thinned stream. Ends on
 * its AbortSignal, on `end()` (the backend closed), or when the consumer returns.
 */
import { ElectionBackendError } from './errors.ts'
import type { LeaderChange } from './backend.ts'

export interface ChangeStream extends AsyncIterable<LeaderChange> {
  push(change: LeaderChange): void
  end(): void
}

export function createChangeStream(bufferSize: number, signal: AbortSignal | undefined, onDone: () => void): ChangeStream {
  const buffer: LeaderChange[] = []
  let waiting: ((r: IteratorResult<LeaderChange>) => void) | undefined
  let failWaiting: ((e: unknown) => void) | undefined
  let done = false
  let error: unknown
  const finish = (err?: unknown): void => {
    if (done) return
    done = true
    error = err
    signal?.removeEventListener('abort', onAbort)
    onDone()
    if (waiting !== undefined) {
      const [ok, fail] = [waiting, failWaiting!]
      waiting = failWaiting = undefined
      if (err === undefined) ok({ value: undefined, done: true })
      else fail(err)
    }
  }
  const onAbort = (): void => finish()
  if (signal?.aborted === true) finish()
  else signal?.addEventListener('abort', onAbort, { once: true })
  const iterator: AsyncIterator<LeaderChange> = {
    next() {
      if (buffer.length > 0) return Promise.resolve({ value: buffer.shift()!, done: false })
      if (done) return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error)
      return new Promise((resolve, reject) => {
        waiting = resolve
        failWaiting = reject
      })
    },
    return() {
      buffer.length = 0
      finish()
      return Promise.resolve({ value: undefined, done: true })
    },
  }
  return {
    [Symbol.asyncIterator]: () => iterator,
    push(change) {
      if (done) return
      if (waiting !== undefined) {
        const ok = waiting
        waiting = failWaiting = undefined
        ok({ value: change, done: false })
        return
      }
      if (buffer.length >= bufferSize) {
        buffer.length = 0
        finish(new ElectionBackendError('ERR_ELECTION_CHANGES_OVERFLOW', `a changes() consumer fell more than ${bufferSize} changes behind`, { details: { bufferSize } }))
        return
      }
      buffer.push(change)
    },
    end: () => finish(),
  }
}
