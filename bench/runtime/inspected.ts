/**
 * The live page connected to a bench's actor system: the page server over the system and one
 * Server-Sent Events client that reads everything it is sent (as an open page does). While it is
 * connected the runtime's inspection is on in every actor (each transition reaches the system
 * thread and the page's model); `stop` disconnects and closes the server.
 */
import { get, type ClientRequest } from 'node:http'
import type { ActorSystem } from '../../src/runtime/index.ts'
import { LiveServer, resolveLiveConfig, systemSource } from '../../src/inspect/live/index.ts'

export interface ConnectedPage {
  /** Bytes the client has read. */
  readonly bytes: number
  readonly server: LiveServer
  stop(): Promise<void>
}

export async function connectPage(system: ActorSystem): Promise<ConnectedPage> {
  const server = await LiveServer.start(systemSource(system), resolveLiveConfig({ addr: '127.0.0.1:0' }))
  let bytes = 0
  let req: ClientRequest | undefined
  await new Promise<void>((resolve, reject) => {
    req = get(`${server.url}events`, (res) => {
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        resolve()
      })
      res.on('error', () => undefined)
    })
    req.on('error', reject)
  })
  // The inspection switch travels in order with messages: on in every worker from here.
  await system.sync()
  return {
    get bytes() {
      return bytes
    },
    server,
    stop: async () => {
      req?.destroy()
      await server.close()
    },
  }
}
