/**
 * The assignment store on a real NATS server (@nats-io/transport-node, @nats-io/kv): the only
 * file of the assignment actor that talks to NATS. One bucket without a max age (an assignment
 * must outlive every lease: the version counter carries over across leaders, as parti's), created
 * when missing; one key per group for the assignment, one per group and worker for
 * registrations (store-port.ts). Publication is update-with-revision: a conflict is resolved by
 * reading the key, and a newer term there is reported instead of overwritten.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { jetstream, JetStreamApiError } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { ClusterError, toWireError, type WireError } from '../../../src/errors/index.ts'
import { restartingWatch } from '../../../src/coordination/kv-watch.ts'
import { assignmentKey, parseKey, termOf, workerKey, type AssignmentStorePort, type StoreEntry } from '../store-port.ts'

/** JetStream's "wrong last sequence" (10071) and "key exists"-style conflicts (10164). */
const CONFLICT = new Set([10071, 10164])
const isConflict = (err: unknown): boolean => err instanceof JetStreamApiError && CONFLICT.has(err.code)

export interface NatsStoreInit {
  servers: string[]
  bucket: string
  requestTimeoutMs?: number
  connectTimeoutMs?: number
}

function storeError(code: string, what: string, err: unknown): WireError {
  return toWireError(new ClusterError(code, `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }))
}

export async function openNatsAssignmentStore(init: NatsStoreInit | undefined): Promise<AssignmentStorePort> {
  if (init === undefined || !Array.isArray(init.servers) || init.servers.length === 0) throw new ClusterError('ERR_ASSIGNMENT_NO_STORE', 'assignment: the nats backend needs nats.servers and nats.bucket')
  const timeout = init.requestTimeoutMs ?? 2_000
  let nc: NatsConnection
  try {
    nc = await connect({ servers: init.servers, timeout: init.connectTimeoutMs ?? 2_000, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: 'gossamer-assignment' })
  } catch (cause) {
    throw new ClusterError('ERR_ASSIGNMENT_NATS_UNREACHABLE', `no NATS server answered at ${init.servers.join(', ')}: ${(cause as Error).message}`, { cause })
  }
  try {
    // create() opens an existing bucket with the same settings: no max age, one value per key.
    const kv = await new Kvm(jetstream(nc, { timeout })).create(init.bucket, { history: 1 })
    return natsPort(nc, kv, timeout)
  } catch (err) {
    await nc.close().catch(() => undefined)
    throw new ClusterError('ERR_ASSIGNMENT_STORE', `opening the KV bucket ${init.bucket} failed: ${(err as Error).message}`, { cause: err })
  }
}

function natsPort(nc: NatsConnection, kv: KV, timeout: number): AssignmentStorePort {
  /** Revision of each key as last seen (watch or own write): update-with-revision uses it. */
  const revisions = new Map<string, number>()
  const write = async (key: string, bytes: Uint8Array, revision: number | undefined): Promise<number> =>
    revision === undefined ? kv.create(key, bytes) : kv.update(key, bytes, revision, timeout)
  const watches = new Set<{ stop(): void }>()
  return {
    async publish(group, bytes, term) {
      const key = assignmentKey(group)
      try {
        revisions.set(key, await write(key, bytes, revisions.get(key)))
        return { ok: true }
      } catch (err) {
        if (!isConflict(err)) return { ok: false, error: storeError('ERR_ASSIGNMENT_STORE', `publishing to ${key}`, err) }
      }
      // A conflict: someone else wrote since (or the revision was never learned). Read and decide.
      try {
        const cur = await kv.get(key)
        const curTerm = cur !== null && cur.operation === 'PUT' ? termOf(cur.value) : undefined
        if (curTerm !== undefined && curTerm > term) {
          return { ok: false, error: { code: 'ERR_ASSIGNMENT_STALE_TERM', message: `the store holds an assignment of term ${curTerm}, newer than ${term}` }, newerTerm: curTerm }
        }
        revisions.set(key, await write(key, bytes, cur === null ? undefined : cur.revision))
        return { ok: true }
      } catch (err) {
        return { ok: false, error: storeError(isConflict(err) ? 'ERR_ASSIGNMENT_STORE_CONFLICT' : 'ERR_ASSIGNMENT_STORE', `publishing to ${key}`, err) }
      }
    },
    async read(group) {
      try {
        const e = await kv.get(assignmentKey(group))
        return { ok: true, bytes: e === null || e.operation !== 'PUT' ? null : e.value }
      } catch (err) {
        return { ok: false, error: storeError('ERR_ASSIGNMENT_STORE', `reading group ${group}`, err) }
      }
    },
    async register(group, node, bytes) {
      try {
        await kv.put(workerKey(group, node), bytes)
        return { ok: true }
      } catch (err) {
        return { ok: false, error: storeError('ERR_ASSIGNMENT_STORE', `registering ${node} in ${group}`, err) }
      }
    },
    async unregister(group, node) {
      try {
        await kv.delete(workerKey(group, node))
        return { ok: true }
      } catch (err) {
        return { ok: false, error: storeError('ERR_ASSIGNMENT_STORE', `withdrawing ${node} from ${group}`, err) }
      }
    },
    watch(onEntry) {
      // The current value of every key first, then each change; opened again after a break.
      return restartingWatch({
        open: () => kv.watch({ key: '>' }),
        isClosed: () => nc.isClosed(),
        retryMs: 250,
        registry: watches,
        onEntry: (e) => {
          revisions.set(e.key, e.revision)
          const k = parseKey(e.key)
          if (k !== undefined) onEntry({ ...k, bytes: e.operation === 'PUT' ? e.value : null } as StoreEntry)
        },
      })
    },
    async close() {
      for (const w of [...watches]) w.stop()
      await nc.close().catch(() => undefined)
    },
  }
}
