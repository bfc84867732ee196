/**
 * Free-port allocation on 127.0.0.1 for tests that start real servers.
 *
 * memberlist binds UDP and TCP on the same port number, so `freeGossipPort()` returns a number that
 * was free for both at the moment of the check. Between the check and the real bind another process
 * can take it (several helpers share this machine), so callers that start a server should retry with a
 * fresh port when the bind fails; `SerfAgent.start` does. Ports handed out by this process are not
 * handed out again, which removes the collision between two agents started by the same test run.
 */
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import { ClusterError } from '../../src/errors/index.ts'

const HOST = '127.0.0.1'
/** How many candidate ports to try before giving up (collisions are rare; this only bounds a loop). */
const MAX_ATTEMPTS = 50

const handedOut = new Set<number>()

function listenTcp(port: number): Promise<{ port: number; close: () => Promise<void> } | undefined> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(undefined))
    server.listen({ host: HOST, port, exclusive: true }, () => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : 0
      resolve({ port: bound, close: () => new Promise<void>((done) => server.close(() => done())) })
    })
  })
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4')
    socket.once('error', () => {
      socket.close()
      resolve(false)
    })
    socket.bind({ address: HOST, port, exclusive: true }, () => socket.close(() => resolve(true)))
  })
}

/** A TCP port on 127.0.0.1 that was free when checked (e.g. for an RPC listener). */
export async function freeTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const probe = await listenTcp(0)
    if (probe === undefined) continue
    await probe.close()
    if (handedOut.has(probe.port)) continue
    handedOut.add(probe.port)
    return probe.port
  }
  throw new ClusterError('ERR_TEST_NO_FREE_PORT', `no free TCP port on ${HOST} after ${MAX_ATTEMPTS} attempts`)
}

/** A port number on 127.0.0.1 that was free for both TCP and UDP when checked (a gossip port). */
export async function freeGossipPort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const probe = await listenTcp(0)
    if (probe === undefined) continue
    const port = probe.port
    const udpOk = await udpFree(port)
    await probe.close()
    if (!udpOk || handedOut.has(port)) continue
    handedOut.add(port)
    return port
  }
  throw new ClusterError('ERR_TEST_NO_FREE_PORT', `no port free for TCP and UDP on ${HOST} after ${MAX_ATTEMPTS} attempts`)
}
