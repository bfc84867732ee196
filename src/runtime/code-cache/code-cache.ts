/**
 * V8's compiled code of one actor thread's bundle, kept on disk between starts (issue 13: join
 * convergence with every actor in its own thread).
 *
 * Why: a workers agent's join is bound by CPU, and most of a first join's extra cost is V8 parsing
 * and compiling, in each of the agent's threads, the functions the join runs for the first time
 * (`node --log-function-events` over a join of five agents: ~430 functions per agent). A code cache
 * made after those functions ran holds their bytecode, so the next start of the same bundle skips
 * that work. Measured with `bench/agents/join-cpu.ts --kinds gossamer-workers --rounds 3`, five
 * runs each way alternated: CPU per agent over the join 49 ms (median of 15 rounds) against 61.
 *
 * What this keeps and when (Node 20 has no `module.enableCompileCache`; this is the same idea for
 * the actors' bundles, which the worker boot compiles through `vm.Script`):
 * - one file per bundle and build: `<name>-<hash>.v8cache`, the hash over the bundle's source,
 *   Node's version and the architecture; V8 itself also refuses data made by another V8 or under
 *   other flags (`cachedDataRejected`), and this thread then writes its own;
 * - written from this thread at WRITE_AFTER_MS after the start (the first one after a start's
 *   join, later ones after the thread has also run its steady work), only when nothing usable was
 *   read or the new data is at least GROWTH larger than the file: each generation adds the
 *   functions it ran, and an unchanged one costs no write. A write goes to a temporary name and is
 *   renamed over the file, so a reader never sees half of one;
 * - only under the V8 flags the thread started with: V8 refuses data made under other flags, and
 *   `gossamer agent` turns TurboFan on once busy (src/agent/tiering.ts), after which this thread's
 *   data would be refused by every start. A tiny probe script's data, made at the start, tells:
 *   once V8 refuses it, the flags changed and offers are skipped (counted);
 * - a file read is touched (its mtime is its last use); files of the same bundle name with another
 *   hash (another build) unused for PRUNE_AFTER_MS are removed at a write. Not at once: two
 *   installs of different versions may share the folder, and each keeps its own files while used.
 *
 * Never fatal: a failed read or write, an unsafe folder, a rejected file are each an outcome the
 * thread's log gets (with a code) once its logger is attached; the actor starts the same either way.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Script } from 'node:vm'
import { threadId } from 'node:worker_threads'
import { checkCacheDir, type DirCheck } from './cache-dir.ts'

/** When this thread offers a new cache after its start (ms): after a start's join, then after its steady work. */
export const WRITE_AFTER_MS: readonly number[] = [5_000, 30_000, 300_000]
/** A new cache replaces the file only when at least this much larger (fraction): it ran more functions. */
export const GROWTH = 0.01
/** A file of another build of the same bundle unused this long is removed at a write (ms): a week. */
export const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000
/**
 * The largest cache file read or written (bytes): an actor's is 0.3-0.7 MB; a file past this is
 * not one of ours, and reading it whole would cost the thread its memory.
 */
export const MAX_CACHE_BYTES = 32 * 1024 * 1024
/** A temporary file this old is left from a write that died (a killed process) and is removed at a write (ms). */
const STALE_TMP_MS = 3600 * 1000
/** A script whose cached data only tells whether V8's flags are still those it was made under. */
const PROBE_SOURCE = '/* gossamer code cache: V8 flag probe */ 0'
const PROBE_NAME = 'gossamer-code-cache-flag-probe'
/** Outcomes kept until a logger is attached (a thread logs only after its actor's host starts). */
const PENDING_MAX = 16

export type CodeCacheLevel = 'debug' | 'warn'
export type CodeCacheLog = (level: CodeCacheLevel, fields: Record<string, unknown>, msg: string) => void

/** The part of a `vm.Script` this needs. */
export interface CachedScript {
  createCachedData(): Buffer
}

export interface CodeCacheTimers {
  setTimeout(fn: () => void, ms: number): unknown
}

export interface CodeCacheCounts {
  /** 'loaded' (V8 took the file), 'rejected' (V8 refused it), 'absent', 'unsafe' (folder), 'failed' (read error). */
  load: 'loaded' | 'rejected' | 'absent' | 'unsafe' | 'failed' | 'pending'
  /** Bytes read and handed to V8 (0 when none). */
  loadedBytes: number
  writes: number
  writeFailures: number
  /** Offers skipped because the new data was not GROWTH larger than the file. */
  unchanged: number
  /** Offers skipped because V8's flags changed since the start (what they made would be refused). */
  flagsChanged: number
}

export class CodeCache {
  readonly file: string
  readonly #dir: string
  readonly #name: string
  #check: DirCheck | undefined
  /** Size of what is on disk as far as this thread knows (what it read or last wrote), bytes. */
  #onDisk = 0
  readonly #counts: CodeCacheCounts = { load: 'pending', loadedBytes: 0, writes: 0, writeFailures: 0, unchanged: 0, flagsChanged: 0 }
  readonly #pending: Parameters<CodeCacheLog>[] = []
  /** The probe script's data under the flags of the start (FLAG_PROBE). */
  #probe: Buffer | undefined
  #probes = 0
  #log: CodeCacheLog | undefined

  constructor(dir: string, name: string, source: string) {
    this.#dir = dir
    this.#name = name
    const hash = createHash('sha256').update(source).update('\0').update(process.version).update('\0').update(process.arch).digest('hex').slice(0, 16)
    this.file = join(dir, `${name}-${hash}.v8cache`)
  }

  /** The cached data to give V8 for this bundle; undefined when there is none to use. */
  read(): Buffer | undefined {
    this.#check = checkCacheDir(this.#dir)
    if (!this.#check.ok) {
      this.#counts.load = this.#check.reason === 'absent' ? 'absent' : 'unsafe'
      if (this.#check.reason !== 'absent') this.#emit('warn', { code: 'ERR_CODE_CACHE_UNSAFE', dir: this.#dir, reason: this.#check.reason }, 'code cache folder not used: it must be ours and writable by us only')
      return undefined
    }
    try {
      const size = statSync(this.file).size
      if (size > MAX_CACHE_BYTES) {
        this.#counts.load = 'failed'
        this.#emit('warn', { code: 'ERR_CODE_CACHE_READ', file: this.file, cause: `${size} bytes, over ${MAX_CACHE_BYTES}` }, 'code cache not read')
        return undefined
      }
      const data = readFileSync(this.file)
      this.#touch()
      this.#onDisk = data.length
      this.#counts.loadedBytes = data.length
      return data
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      this.#counts.load = code === 'ENOENT' ? 'absent' : 'failed'
      if (code !== 'ENOENT') this.#emit('warn', { code: 'ERR_CODE_CACHE_READ', file: this.file, cause: code }, 'code cache not read')
      return undefined
    }
  }

  /** What V8 made of the data `read` returned (`script.cachedDataRejected`). */
  compiled(rejected: boolean | undefined): void {
    this.#probe ??= new Script(PROBE_SOURCE, { filename: `${PROBE_NAME}-made` }).createCachedData()
    if (this.#counts.loadedBytes === 0) {
      this.#emit('debug', { file: this.file, load: this.#counts.load }, 'code cache: none to load, compiled from source')
      return
    }
    this.#counts.load = rejected === true ? 'rejected' : 'loaded'
    // A rejected file (another V8, other flags, damage) is replaced at the next offer.
    if (rejected === true) this.#onDisk = 0
    this.#emit('debug', { file: this.file, bytes: this.#counts.loadedBytes, load: this.#counts.load }, `code cache ${this.#counts.load}`)
  }

  /** Offers the script's cache at each WRITE_AFTER_MS; timers are unref'd (they never keep the thread alive). */
  schedule(script: CachedScript, timers: CodeCacheTimers = { setTimeout: (fn, ms) => setTimeout(fn, ms).unref() }): void {
    if (this.#counts.load === 'unsafe') return
    for (const ms of WRITE_AFTER_MS) timers.setTimeout(() => this.offer(script), ms)
  }

  /** Writes the script's cache when nothing usable is on disk or it grew by GROWTH; true when it wrote. */
  offer(script: CachedScript): boolean {
    if (this.#flagsChanged()) {
      if (this.#counts.flagsChanged++ === 0) this.#emit('debug', { file: this.file }, "code cache not offered: V8's flags changed since the start")
      return false
    }
    let data: Buffer
    try {
      data = script.createCachedData()
    } catch (err) {
      this.#failed('ERR_CODE_CACHE_CREATE', err)
      return false
    }
    if (data.length > MAX_CACHE_BYTES) {
      this.#failed('ERR_CODE_CACHE_WRITE', new Error(`${data.length} bytes, over ${MAX_CACHE_BYTES}`))
      return false
    }
    if (this.#onDisk > 0 && data.length < this.#onDisk * (1 + GROWTH)) {
      this.#counts.unchanged++
      return false
    }
    const tmp = `${this.file}.${process.pid}.${threadId}.tmp`
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
      const check = checkCacheDir(this.#dir)
      if (!check.ok) {
        this.#emit('warn', { code: 'ERR_CODE_CACHE_UNSAFE', dir: this.#dir, reason: check.reason }, 'code cache folder not used: it must be ours and writable by us only')
        this.#counts.writeFailures++
        return false
      }
      writeFileSync(tmp, data, { mode: 0o600 })
      renameSync(tmp, this.file)
    } catch (err) {
      try {
        unlinkSync(tmp)
      } catch {
        // Nothing was written, or it is gone already.
      }
      this.#failed('ERR_CODE_CACHE_WRITE', err)
      return false
    }
    this.#onDisk = data.length
    this.#counts.writes++
    this.#emit('debug', { file: this.file, bytes: data.length }, 'code cache written')
    this.#pruneOlderBuilds()
    return true
  }

  /** True once V8 refuses the probe's data: its flags are no longer the start's. */
  #flagsChanged(): boolean {
    if (this.#probe === undefined) return false
    // A file name of its own each time: V8 would take a script compiled before from its own table
    // (by source and origin) without reading the data.
    return new Script(PROBE_SOURCE, { filename: `${PROBE_NAME}-${++this.#probes}`, cachedData: this.#probe }).cachedDataRejected === true
  }

  /** Sends the outcomes so far, and every later one, to this thread's logger. */
  attach(log: CodeCacheLog): void {
    this.#log = log
    for (const entry of this.#pending.splice(0)) log(...entry)
  }

  counts(): Readonly<CodeCacheCounts> {
    return { ...this.#counts }
  }

  #failed(code: string, err: unknown): void {
    this.#counts.writeFailures++
    const cause = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    this.#emit('warn', { code, file: this.file, cause }, 'code cache not written')
  }

  /** Marks the file used now (its mtime), so that no other build's write prunes it. */
  #touch(): void {
    try {
      const now = new Date()
      utimesSync(this.file, now, now)
    } catch {
      // Read but not touched (a read-only folder): it may be pruned a week from its last write.
    }
  }

  /**
   * Files of this bundle name from another build (another hash) unused for PRUNE_AFTER_MS, and
   * its temporary files older than STALE_TMP_MS (a write whose process was killed).
   */
  #pruneOlderBuilds(): void {
    const own = this.file.slice(this.#dir.length + 1)
    const now = Date.now()
    try {
      for (const f of readdirSync(this.#dir)) {
        const m = /^([0-9a-f]{16})\.v8cache(\.\d+\.\d+\.tmp)?$/.exec(f.startsWith(`${this.#name}-`) ? f.slice(this.#name.length + 1) : '')
        if (m === null || f === own) continue
        const path = join(this.#dir, f)
        const age = now - statSync(path).mtimeMs
        if (m[2] !== undefined ? age > STALE_TMP_MS : age > PRUNE_AFTER_MS) unlinkSync(path)
      }
    } catch {
      // Another thread pruned the same file first; what is left is pruned at a later write.
    }
  }

  #emit(...entry: Parameters<CodeCacheLog>): void {
    if (this.#log !== undefined) this.#log(...entry)
    else if (this.#pending.length < PENDING_MAX) this.#pending.push(entry)
  }
}
