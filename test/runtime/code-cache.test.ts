/**
 * The actors' code cache (src/runtime/code-cache/): what it reads, what V8 makes of it, when it
 * writes, and that nothing about it can stop an actor from starting. Real V8 scripts (`vm.Script`)
 * over a small source, in a private folder; the offers' timers are collected, not run.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { Script } from 'node:vm'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CodeCache, GROWTH, MAX_CACHE_BYTES, PRUNE_AFTER_MS, WRITE_AFTER_MS, type CodeCacheLog } from '../../src/runtime/code-cache/code-cache.ts'
import { checkCacheDir, defaultCodeCacheDir } from '../../src/runtime/code-cache/cache-dir.ts'

/** Functions V8 compiles only when first called: running them grows the cache. */
const SOURCE = `(function () {
  function lazyA(n) { let s = 0; for (let i = 0; i < n; i++) s += i * 3 + (i % 7); return s }
  function lazyB(xs) { return xs.map((x) => ({ x, y: String(x).padStart(8, '0'), z: [x, x * 2, x * 3] })).filter((o) => o.x % 2 === 0) }
  function lazyC(text) { const out = {}; for (const w of text.split(/\\s+/)) out[w] = (out[w] ?? 0) + 1; return Object.entries(out).sort((a, b) => b[1] - a[1]) }
  return { lazyA, lazyB, lazyC }
})`

let root = ''
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'code-cache-test-'))
})
afterEach(() => {
  chmodSync(root, 0o700)
  rmSync(root, { recursive: true, force: true })
})

interface Logged {
  level: string
  fields: Record<string, unknown>
  msg: string
}

/**
 * Each start compiles under its own file name: V8 keeps compiled scripts per isolate by source and
 * origin, and a second compile of the same script would come from there (its cached data unread),
 * where a new thread has nothing to find.
 */
let starts = 0

/** A CodeCache with its log attached, and the script compiled as worker-boot compiles a bundle. */
function start(dir: string, source = SOURCE, name = 'swim') {
  const cache = new CodeCache(dir, name, source)
  const logged: Logged[] = []
  const log: CodeCacheLog = (level, fields, msg) => logged.push({ level, fields, msg })
  const cachedData = cache.read()
  const script = new Script(source, { filename: `bundle-${++starts}.cjs`, ...(cachedData === undefined ? {} : { cachedData }) })
  cache.compiled(cachedData === undefined ? undefined : script.cachedDataRejected)
  cache.attach(log)
  const api = script.runInThisContext()() as { lazyA(n: number): number; lazyB(xs: number[]): unknown[]; lazyC(t: string): unknown[] }
  return { cache, script, logged, api }
}

const runAll = (api: ReturnType<typeof start>['api']) => [api.lazyA(100), api.lazyB([1, 2, 3, 4]), api.lazyC('a b a c b a')]

describe('code cache', () => {
  it('with no folder yet: compiles from source, then creates the folder 0700 and writes the cache 0600', () => {
    const dir = join(root, 'cache')
    const { cache, script, logged } = start(dir)
    expect(cache.counts().load).toBe('absent')
    expect(logged.map((l) => l.msg)).toEqual(['code cache: none to load, compiled from source'])
    expect(cache.offer(script)).toBe(true)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(cache.file).mode & 0o777).toBe(0o600)
    expect(cache.file).toMatch(/[/\\]swim-[0-9a-f]{16}\.v8cache$/)
    expect(cache.counts()).toMatchObject({ writes: 1, writeFailures: 0 })
    // No temporary file is left beside it.
    expect(readdirSync(dir)).toEqual([cache.file.slice(dir.length + 1)])
  })

  it('a later start loads what an earlier one wrote, and V8 takes it', () => {
    const first = start(root)
    runAll(first.api)
    first.cache.offer(first.script)
    const second = start(root)
    expect(second.script.cachedDataRejected).toBe(false)
    expect(second.cache.counts()).toMatchObject({ load: 'loaded', loadedBytes: statSync(first.cache.file).size })
    expect(second.logged[0]).toMatchObject({ level: 'debug', msg: 'code cache loaded' })
    // The functions still run as compiled from source.
    expect(runAll(second.api)).toEqual(runAll(first.api))
  })

  it('rewrites the file only when the cache grew: the functions run since the last write', () => {
    const { cache, script, api } = start(root)
    expect(cache.offer(script)).toBe(true)
    const before = statSync(cache.file).size
    // Nothing new compiled: no write.
    expect(cache.offer(script)).toBe(false)
    expect(cache.counts().unchanged).toBe(1)
    runAll(api)
    const grown = script.createCachedData().length
    expect(grown).toBeGreaterThanOrEqual(before * (1 + GROWTH))
    expect(cache.offer(script)).toBe(true)
    expect(statSync(cache.file).size).toBe(grown)
    expect(cache.counts()).toMatchObject({ writes: 2, unchanged: 1 })
  })

  it('a damaged file: V8 rejects it, the actor compiles from source, and the next offer replaces it', () => {
    const first = start(root)
    first.cache.offer(first.script)
    const garbage = Buffer.alloc(statSync(first.cache.file).size, 0x5a)
    writeFileSync(first.cache.file, garbage)
    const second = start(root)
    expect(second.script.cachedDataRejected).toBe(true)
    expect(second.cache.counts().load).toBe('rejected')
    expect(runAll(second.api)[0]).toBe(runAll(first.api)[0])
    // Not larger than the damaged file, and still written: what is on disk is of no use.
    expect(second.cache.offer(second.script)).toBe(true)
    expect(readFileSync(second.cache.file).equals(garbage)).toBe(false)
    expect(start(root).script.cachedDataRejected).toBe(false)
  })

  it("another build of the bundle gets its own file; a write removes another build's once unused for a week", () => {
    const old = start(root, SOURCE)
    old.cache.offer(old.script)
    const other = start(root, `${SOURCE}\n// another build`, 'swim')
    expect(other.cache.file).not.toBe(old.cache.file)
    expect(other.cache.counts().load).toBe('absent')
    // Used recently (another install sharing the folder): kept.
    other.cache.offer(other.script)
    expect(existsSync(old.cache.file)).toBe(true)
    // A read marks a file used.
    const weekAgo = new Date(Date.now() - PRUNE_AFTER_MS - 60_000)
    utimesSync(old.cache.file, weekAgo, weekAgo)
    start(root, SOURCE)
    expect(statSync(old.cache.file).mtimeMs).toBeGreaterThan(weekAgo.getTime() + PRUNE_AFTER_MS)
    // Unused for a week: removed at the next write; another actor's old file is not touched.
    const neighbour = start(root, SOURCE, 'gossip-queue')
    neighbour.cache.offer(neighbour.script)
    utimesSync(old.cache.file, weekAgo, weekAgo)
    utimesSync(neighbour.cache.file, weekAgo, weekAgo)
    runAll(other.api)
    expect(other.cache.offer(other.script)).toBe(true)
    expect(existsSync(old.cache.file)).toBe(false)
    expect(existsSync(other.cache.file)).toBe(true)
    expect(existsSync(neighbour.cache.file)).toBe(true)
  })

  it("offers nothing once V8's flags changed since the start (a start would refuse what they make)", () => {
    const { cache, script, api, logged } = start(root)
    runAll(api)
    // The agent turns TurboFan on once busy (src/agent/tiering.ts); on by default in Node, so back after.
    setFlagsFromString('--no-turbofan')
    try {
      expect(cache.offer(script)).toBe(false)
      expect(cache.offer(script)).toBe(false)
    } finally {
      setFlagsFromString('--turbofan')
    }
    expect(cache.counts()).toMatchObject({ writes: 0, flagsChanged: 2 })
    expect(existsSync(cache.file)).toBe(false)
    expect(logged.filter((l) => l.msg.includes("flags changed")).length).toBe(1)
    // The flags of the start again: offered as before.
    expect(cache.offer(script)).toBe(true)
  })

  it('a folder others can write to is not used at all: warned with a code, nothing read or written', () => {
    const first = start(root)
    first.cache.offer(first.script)
    chmodSync(root, 0o777)
    expect(checkCacheDir(root)).toEqual({ ok: false, reason: 'writable by group or others' })
    const second = start(root)
    expect(second.cache.counts()).toMatchObject({ load: 'unsafe', loadedBytes: 0 })
    expect(second.logged[0]).toMatchObject({ level: 'warn', fields: { code: 'ERR_CODE_CACHE_UNSAFE', reason: 'writable by group or others' } })
    const size = statSync(first.cache.file).size
    runAll(second.api)
    expect(second.cache.offer(second.script)).toBe(false)
    expect(second.cache.counts().writeFailures).toBe(1)
    expect(statSync(first.cache.file).size).toBe(size)
    // No offers are even scheduled.
    const timers: number[] = []
    second.cache.schedule(second.script, { setTimeout: (_fn, ms) => timers.push(ms) })
    expect(timers).toEqual([])
  })

  it('a path that is not a folder is refused the same way', () => {
    const file = join(root, 'not-a-dir')
    writeFileSync(file, 'x')
    expect(checkCacheDir(file)).toEqual({ ok: false, reason: 'not a directory' })
    expect(start(file).cache.counts().load).toBe('unsafe')
  })

  it('a file past MAX_CACHE_BYTES is not read; a temporary file left by a killed write is removed after an hour', () => {
    const first = start(root)
    first.cache.offer(first.script)
    writeFileSync(first.cache.file, Buffer.alloc(MAX_CACHE_BYTES + 1))
    const second = start(root)
    expect(second.cache.counts()).toMatchObject({ load: 'failed', loadedBytes: 0 })
    expect(second.logged[0]).toMatchObject({ level: 'warn', fields: { code: 'ERR_CODE_CACHE_READ' } })
    const fresh = `${first.cache.file}.123.4.tmp`
    const stale = `${first.cache.file}.456.7.tmp`
    writeFileSync(fresh, 'x')
    writeFileSync(stale, 'x')
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000)
    utimesSync(stale, twoHoursAgo, twoHoursAgo)
    // Read nothing usable: the next offer writes, and prunes.
    expect(second.cache.offer(second.script)).toBe(true)
    expect(existsSync(stale)).toBe(false)
    expect(existsSync(fresh)).toBe(true)
    expect(statSync(first.cache.file).size).toBeLessThan(MAX_CACHE_BYTES)
  })

  it('a write that fails is counted and warned with its cause, and leaves no temporary file', () => {
    const { cache, script, logged } = start(root)
    // The cache file's name taken by a folder: the rename fails.
    mkdirSync(cache.file)
    writeFileSync(join(cache.file, 'x'), 'x')
    expect(cache.offer(script)).toBe(false)
    expect(cache.counts()).toMatchObject({ writes: 0, writeFailures: 1 })
    expect(logged.at(-1)).toMatchObject({ level: 'warn', msg: 'code cache not written', fields: { code: 'ERR_CODE_CACHE_WRITE' } })
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('offers at WRITE_AFTER_MS after the start, and keeps outcomes for a logger attached later (bounded)', () => {
    const cache = new CodeCache(root, 'swim', SOURCE)
    cache.read()
    const script = new Script(SOURCE, { filename: `bundle-${++starts}.cjs` })
    cache.compiled(undefined)
    const timers: Array<{ fn: () => void; ms: number }> = []
    cache.schedule(script, { setTimeout: (fn, ms) => timers.push({ fn, ms }) })
    expect(timers.map((t) => t.ms)).toEqual([...WRITE_AFTER_MS])
    for (const t of timers) t.fn()
    expect(cache.counts()).toMatchObject({ writes: 1, unchanged: 2 })
    const logged: string[] = []
    cache.attach((_level, _fields, msg) => logged.push(msg))
    expect(logged).toEqual(['code cache: none to load, compiled from source', 'code cache written'])
    // Past the bound, outcomes before a logger are not kept (the counts still are).
    const quiet = new CodeCache(join(root, 'q'), 'swim', SOURCE)
    for (let i = 0; i < 40; i++) quiet.compiled(undefined)
    const kept: string[] = []
    quiet.attach((_l, _f, msg) => kept.push(msg))
    expect(kept.length).toBe(16)
  })

  it("gossamer agent's default folder follows XDG_CACHE_HOME, ignoring a relative one", () => {
    const home = () => '/home/u'
    expect(defaultCodeCacheDir({ XDG_CACHE_HOME: '/var/cache/u' }, home)).toBe('/var/cache/u/gossamer/code-cache')
    expect(defaultCodeCacheDir({ XDG_CACHE_HOME: 'rel/cache' }, home)).toBe('/home/u/.cache/gossamer/code-cache')
    expect(defaultCodeCacheDir({}, home)).toBe('/home/u/.cache/gossamer/code-cache')
  })
})
