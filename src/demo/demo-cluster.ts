/**
 * The demo's nodes: real `createNode` nodes in this process (every actor in its own worker thread,
 * loopback, ephemeral ports), each with its snapshot in one temporary folder, each watched into a
 * ClusterView. It starts, crashes (shutdown without leave: the others must find out by probing),
 * restarts from the snapshot on the same address, makes leave, and stops them all.
 *
 * Features another part of the project adds (the live page's `inspect` option, the election's
 * `coordination` option) are found at run time: a build whose createNode does not know the option
 * rejects it by name (ERR_INVALID_CONFIG, field `options.inspect`), and the node is started
 * without it.
 */
import type { CoordinationSurface, ElectionHandle, GossamerNode, InspectSurface, NodeOptions } from '../node/api.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { ClusterError } from '../errors/index.ts'
import type { ClusterView } from './cluster-view.ts'

/** A node as the demo may see it: the surfaces other parts add are optional. */
export type DemoNode = GossamerNode & Partial<InspectSurface> & Partial<CoordinationSurface>

export interface DemoClusterDeps {
  createNode(options: NodeOptions): Promise<GossamerNode>
  /** The demo's clock (ms). */
  now(): number
  /** A fresh folder for the snapshots, and its removal. */
  makeTempDir(): Promise<string>
  removeDir(dir: string): Promise<void>
}

export interface DemoClusterOptions {
  profile: 'lan' | 'local'
  /** Expected cluster size, for the election's majority. */
  size: number
}

interface Running {
  node: DemoNode
  /** Ends when the node stops (its event stream ends). */
  watched: Promise<void>
  /** Ends the node's campaign and its watch of the election, before it stops. */
  election: AbortController
}

/** The election group every node of the demo follows. */
export const DEMO_GROUP = 'demo'

/** Whether a rejection says this build's createNode has no such option (not a bad value of it). */
/**
 * A restart binds the address the node had. The port was free when the node stopped, but until it
 * is bound again any outgoing connection of this process may draw it as its ephemeral source port
 * (the ports given by port 0 come from the same range): then the bind is tried again, a few times.
 */
const REBIND_ATTEMPTS = 20
const REBIND_WAIT_MS = 250

function bindInUse(err: unknown): boolean {
  return err instanceof ClusterError && err.code === 'ERR_SWIM_BIND'
}

function unknownOption(err: unknown, option: string): boolean {
  return err instanceof ClusterError && err.code === 'ERR_INVALID_CONFIG' && err.details?.['field'] === `options.${option}` && /not a known field/.test(err.message)
}

export class DemoCluster {
  readonly #running = new Map<string, Running>()
  /** Each node's address, kept across a crash so a restart binds the same one. */
  readonly #addresses = new Map<string, string>()
  #dir: string | undefined
  /** Whether this build's createNode takes `inspect` / `coordination`; undefined until a start tells. */
  #has: { inspect: boolean | undefined; coordination: boolean | undefined } = { inspect: undefined, coordination: undefined }

  constructor(
    private readonly view: ClusterView,
    private readonly options: DemoClusterOptions,
    private readonly deps: DemoClusterDeps,
  ) {}

  /** Whether the nodes run the election (known after the first start). */
  get hasElection(): boolean {
    return this.#has.coordination === true
  }

  get dir(): string | undefined {
    return this.#dir
  }

  node(name: string): DemoNode | undefined {
    return this.#running.get(name)?.node
  }

  names(): string[] {
    return [...this.#running.keys()]
  }

  addressOf(name: string): string | undefined {
    return this.#addresses.get(name)
  }

  snapshotPath(name: string): string {
    if (this.#dir === undefined) throw new ClusterError('ERR_DEMO_NOT_STARTED', 'the demo cluster has no folder yet')
    return `${this.#dir}/${name}.snapshot`
  }

  /**
   * Starts `name` (joining `join`), with the live page when `inspect` and the build has it. Binds
   * the address it had before when it ran already. With an election, every node follows the
   * group's leader and a `candidate` stands for it. Resolves once it is bound, joined and watched.
   */
  async start(name: string, join: readonly string[], opts: { inspect?: boolean; candidate?: boolean } = {}): Promise<DemoNode> {
    this.#dir ??= await this.deps.makeTempDir()
    const base: NodeOptions = {
      name,
      bind: this.#addresses.get(name) ?? '127.0.0.1:0',
      profile: this.options.profile,
      logLevel: 'silent',
      snapshotPath: this.snapshotPath(name),
      // One member event per change, as it happens: the demo times what each node saw.
      coalesce: { members: false },
      join,
    }
    const node = await this.#startWithFeatures(base, opts.inspect === true)
    this.#addresses.set(name, node.address)
    // Subscribed before the list is read: nothing between the two is missed (see ClusterView).
    const events = node.events()
    this.view.open(name)
    const watched = (async () => {
      try {
        for await (const e of events) {
          if (e.type === 'user') this.view.userEvent(name, `${e.name}=${e.payload === null ? '' : new TextDecoder().decode(e.payload)}`, this.deps.now())
          else if (e.type !== 'query') this.view.memberEvent(name, e.members, this.deps.now())
        }
      } catch {
        // The stream ends with the node; whatever ended it, this node no longer sees anything.
      } finally {
        this.view.close(name)
      }
    })()
    const election = new AbortController()
    this.#running.set(name, { node, watched, election })
    this.view.list(name, await node.members(), this.deps.now())
    if (node.election !== undefined) await this.#follow(name, node.election(DEMO_GROUP), opts.candidate === true, election.signal)
    return node
  }

  /** Feeds the view with the group's leader as `name` knows it; a candidate campaigns until stopped. */
  async #follow(name: string, handle: ElectionHandle, candidate: boolean, signal: AbortSignal): Promise<void> {
    const changes = handle.changes({ signal })
    void (async () => {
      try {
        for await (const c of changes) this.view.leader(name, c.leader, c.term, this.deps.now())
      } catch {
        // Ends with the node (or an overflow): the view of this node closes with its events.
      }
    })()
    try {
      const now = await handle.view()
      this.view.leader(name, now.leader, now.term, this.deps.now())
    } catch {
      // Not known yet (the backend may still be opening): the changes stream tells it later.
    }
    // Resolves with the term on a win, rejects when stopped: the changes stream reports either.
    if (candidate) handle.campaign({ signal }).catch(() => undefined)
  }

  async #startWithFeatures(base: NodeOptions, inspect: boolean): Promise<DemoNode> {
    const extra: NodeOptions = {}
    if (inspect && this.#has.inspect !== false) extra.inspect = { addr: '127.0.0.1:0' }
    if (this.#has.coordination !== false) extra.coordination = { expectedSize: this.options.size }
    for (let attempt = 1; ; attempt++) {
      try {
        const node: DemoNode = await this.deps.createNode({ ...base, ...extra })
        if (extra.inspect !== undefined) this.#has.inspect = true
        if (extra.coordination !== undefined) this.#has.coordination = typeof node.election === 'function'
        return node
      } catch (err) {
        if (extra.inspect !== undefined && unknownOption(err, 'inspect')) {
          this.#has.inspect = false
          delete extra.inspect
        } else if (extra.coordination !== undefined && unknownOption(err, 'coordination')) {
          this.#has.coordination = false
          delete extra.coordination
        } else if (bindInUse(err) && base.bind !== '127.0.0.1:0' && attempt < REBIND_ATTEMPTS) {
          await sleep(REBIND_WAIT_MS)
        } else throw err
      }
    }
  }

  /** Stops `name` without a leave message, as a crash would: the others must detect it. */
  async crash(name: string): Promise<void> {
    const r = this.#take(name)
    // The campaign is not ended first: a crashed leader does not hand its lease over.
    await r.node.shutdown()
    r.election.abort()
    await r.watched
  }

  /** `name` leaves gracefully (the others are told), then stops. */
  async leave(name: string): Promise<void> {
    const r = this.#running.get(name)
    if (r === undefined) throw new ClusterError('ERR_DEMO_NO_NODE', `${name} is not running`)
    r.election.abort()
    await r.node.leave()
    this.#running.delete(name)
    await r.node.shutdown()
    await r.watched
  }

  /**
   * Stops every node still running. `graceful`: each leaves first (the others are told), unless
   * `hurry` fires meanwhile; else they stop at once. Then the snapshot folder is removed. Never
   * rejects; says what went wrong.
   */
  async stopAll(graceful: boolean, hurry?: AbortSignal): Promise<{ stopped: number; errors: string[] }> {
    const all = [...this.#running.keys()].map((name) => ({ name, r: this.#take(name) }))
    const errors: string[] = []
    const hurried = new Promise<void>((resolve) => {
      if (hurry === undefined) return
      if (hurry.aborted) resolve()
      hurry.addEventListener('abort', () => resolve(), { once: true })
    })
    await Promise.all(
      all.map(async ({ name, r }) => {
        if (graceful && hurry?.aborted !== true) {
          const left = r.node.leave().catch((err: unknown) => void errors.push(`${name} leave: ${(err as Error).message}`))
          await Promise.race([left, hurried])
        }
        await r.node.shutdown().catch((err: unknown) => errors.push(`${name} shutdown: ${(err as Error).message}`))
        r.election.abort()
        await r.watched
      }),
    )
    if (this.#dir !== undefined) {
      await this.deps.removeDir(this.#dir).catch((err: unknown) => errors.push(`remove ${this.#dir}: ${(err as Error).message}`))
      this.#dir = undefined
    }
    return { stopped: all.length, errors }
  }

  #take(name: string): Running {
    const r = this.#running.get(name)
    if (r === undefined) throw new ClusterError('ERR_DEMO_NO_NODE', `${name} is not running`)
    this.#running.delete(name)
    return r
  }
}
