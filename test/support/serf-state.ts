/**
 * A real `serf agent`'s memberlist view, read over its own protocol: a TCP push/pull that announces
 * no node and no Serf state, so the agent merges nothing and answers with every node it knows, each
 * with its incarnation and state (alive 0, suspect 1, dead 2, left 3). `serf members` cannot show
 * this: Serf lists a suspect member as alive and has no incarnation, so a test that must know
 * whether the agent took a refutation reads it here instead of sleeping past a suspicion timeout.
 */
import { connect } from 'node:net'
import { ClusterError } from '../../src/errors/index.ts'
import { buildStream, encodePushPull, readStream, WireCodecError } from '../../src/wire/index.ts'
import type { Keyring, PushNodeState, StreamNode } from '../../src/wire/index.ts'

/** Bound on one exchange; the agent's own TCP timeout is 10 s. */
const EXCHANGE_TIMEOUT_MS = 5_000

function unwrap(node: StreamNode): StreamNode {
  return node.type === 'encrypt' || node.type === 'compress' ? unwrap(node.inner as StreamNode) : node
}

/**
 * The node states of the agent listening (TCP) on 127.0.0.1:`port`. Pass the agent's keyring if it
 * runs with -encrypt. Rejects with `ERR_TEST_SERF_OUTPUT` if the agent answers anything but a
 * push/pull, or does not answer within `timeoutMs`.
 */
export function agentNodeStates(port: number, keyring: Keyring | null = null, timeoutMs = EXCHANGE_TIMEOUT_MS): Promise<PushNodeState[]> {
  const request = buildStream(encodePushPull({ Join: false, NodeStates: [], UserState: new Uint8Array(0) }), keyring === null ? {} : { keyring })
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let received = Buffer.alloc(0)
    let done = false
    const finish = (err: Error | undefined, states?: PushNodeState[]): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      if (err !== undefined) reject(err)
      else resolve(states!)
    }
    const timer = setTimeout(() => finish(new ClusterError('ERR_TEST_SERF_OUTPUT', `no push/pull reply from 127.0.0.1:${port} within ${timeoutMs} ms`)), timeoutMs)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      let node: StreamNode
      try {
        node = readStream(received, { keyring }).node
      } catch (err) {
        // A truncated message just needs more bytes; anything else is a real decode failure.
        if (!(err instanceof WireCodecError && err.code === 'ERR_WIRE_TRUNCATED')) finish(err as Error)
        return
      }
      const msg = unwrap(node)
      if (msg.type === 'pushPull') finish(undefined, msg.NodeStates)
      else finish(new ClusterError('ERR_TEST_SERF_OUTPUT', `127.0.0.1:${port} answered a push/pull with ${msg.type}`))
    })
    socket.on('error', (err) => finish(err))
    socket.on('close', () => finish(new ClusterError('ERR_TEST_SERF_OUTPUT', `127.0.0.1:${port} closed after ${received.length} bytes without a push/pull reply`)))
  })
}
