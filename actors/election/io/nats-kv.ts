/**
 * The election's KV port on a real NATS server (@nats-io/transport-node, @nats-io/kv): the only
 * file of the election that talks to NATS. Opening checks what the issue calls bad input, each a
 * coded ElectionBackendError: no server at start (ERR_ELECTION_NATS_UNREACHABLE), no bucket
 * (ERR_ELECTION_BUCKET_MISSING), a bucket whose max age is not the lease (ERR_ELECTION_BUCKET_TTL).
 * After the start the client reconnects forever (a server restart is a gap, not an end); requests
 * made meanwhile fail after requestTimeoutMs and come back as data (kv-port.ts).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, JetStreamApiError } from '@nats-io/jetstream'
import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv'
import { ElectionBackendError } from '../errors.ts'
import type { NatsElectionConfig } from '../nats-config.ts'
import { restartingWatch } from '../../../src/coordination/kv-watch.ts'
import type { ElectionKvPort, KvWriteResult, RawEntry } from '../kv-port.ts'

/** JetStream's "wrong last sequence": the revision given is not the key's (10164: the key's is unknown). */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164])
/** JetStream's "stream not found". */
const STREAM_NOT_FOUND = 10059

const isConflict = (err: unknown): boolean => err instanceof JetStreamApiError && WRONG_LAST_SEQUENCE.has(err.code)

async function connectOrFail(config: NatsElectionConfig): Promise<NatsConnection> {
  try {
    return await connect({ servers: config.servers, timeout: config.connectTimeoutMs, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: 'gossamer-election' })
  } catch (cause) {
    throw new ElectionBackendError('ERR_ELECTION_NATS_UNREACHABLE', `no NATS server answered at ${config.servers.join(', ')}: ${(cause as Error).message}`, { cause, details: { servers: config.servers } })
  }
}

/** Opens the bucket and checks it; the connection is closed again on any failure. */
export async function openNatsElectionKv(config: NatsElectionConfig): Promise<ElectionKvPort> {
  const nc = await connectOrFail(config)
  try {
    const jsm = await jetstreamManager(nc, { timeout: config.requestTimeoutMs })
    let maxAgeNs: number
    try {
      maxAgeNs = (await jsm.streams.info(`KV_${config.bucket}`)).config.max_age
    } catch (cause) {
      if (cause instanceof JetStreamApiError && cause.code === STREAM_NOT_FOUND) {
        throw new ElectionBackendError('ERR_ELECTION_BUCKET_MISSING', `the KV bucket ${config.bucket} does not exist (create it with a max age of ${config.ttlMs} ms)`, { cause, details: { bucket: config.bucket } })
      }
      throw new ElectionBackendError('ERR_ELECTION_NATS_REQUEST', `reading the KV bucket ${config.bucket} failed: ${(cause as Error).message}`, { cause })
    }
    const maxAgeMs = Math.round(maxAgeNs / 1e6)
    if (maxAgeMs !== config.ttlMs) {
      throw new ElectionBackendError('ERR_ELECTION_BUCKET_TTL', `the KV bucket ${config.bucket} has a max age of ${maxAgeMs} ms; the lease (election.nats.ttlMs) is ${config.ttlMs} ms`, {
        details: { bucket: config.bucket, bucketTtlMs: maxAgeMs, ttlMs: config.ttlMs },
      })
    }
    const kv = await new Kvm(jetstream(nc, { timeout: config.requestTimeoutMs })).open(config.bucket)
    return natsKvPort(nc, kv, config)
  } catch (err) {
    await nc.close().catch(() => undefined)
    throw err
  }
}

/** Creates the election bucket with the lease as its max age (operators, tests, the bench); an existing bucket with the same settings is opened, one with other settings is an error from the server. */
export async function ensureElectionBucket(servers: string[], bucket: string, ttlMs: number): Promise<void> {
  const nc = await connect({ servers, timeout: 2_000 })
  try {
    await new Kvm(nc).create(bucket, { ttl: ttlMs, history: 1 })
  } finally {
    await nc.close()
  }
}

function natsKvPort(nc: NatsConnection, kv: KV, config: NatsElectionConfig): ElectionKvPort {
  const write = async (op: () => Promise<number>): Promise<KvWriteResult> => {
    try {
      return { ok: true, revision: await op() }
    } catch (error) {
      return { ok: false, reason: isConflict(error) ? 'conflict' : 'error', error }
    }
  }
  const watches = new Set<{ stop(): void }>()
  return {
    create: (key, value) => write(() => kv.create(key, value)),
    update: (key, value, revision) => write(() => kv.update(key, value, revision, config.requestTimeoutMs)),
    async delete(key, revision) {
      try {
        await kv.delete(key, { previousSeq: revision })
        return { ok: true }
      } catch (error) {
        return { ok: false, reason: isConflict(error) ? 'conflict' : 'error', error }
      }
    },
    async get(key) {
      try {
        const e = await kv.get(key)
        return { ok: true, entry: e === null ? null : { revision: e.revision, op: e.operation, value: e.value } }
      } catch (error) {
        return { ok: false, error }
      }
    },
    watch(onEntry) {
      return restartingWatch({
        open: () => kv.watch({ include: KvWatchInclude.UpdatesOnly }),
        isClosed: () => nc.isClosed(),
        retryMs: config.backoffMs,
        registry: watches,
        onEntry: (e) => onEntry(e.key, { revision: e.revision, op: e.operation, value: e.value } satisfies RawEntry),
      })
    },
    async close() {
      for (const w of [...watches]) w.stop()
      await nc.close().catch(() => undefined)
    },
  }
}
