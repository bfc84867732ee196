/**
 * A diagnostic preload for scripts/agent-rss.ts --probe DIR (node --import this-file): every
 * AGENT_RSS_PROBE_MS milliseconds it appends one JSON line to AGENT_RSS_PROBE_DIR/<pid>.jsonl with
 * the process's memory as V8 and Node see it, to tell what grows while an agent idles:
 * {t (s since the probe loaded), rss, heapTotal, heapUsed, external, arrayBuffers (process.memoryUsage),
 *  spaces: {<space>: [committed, used]} (v8.getHeapSpaceStatistics), code: {code, bytecode, source}
 *  (v8.getHeapCodeStatistics)}, sizes in KiB.
 * AGENT_RSS_PROBE_GC_AT=S1,S2,... runs a full garbage collection S seconds after the probe loaded
 * and appends {t, gc: {ms, rssBefore, rssAfter (1 s later), heapUsedBefore, heapUsedAfter}}: is what
 * grew garbage? AGENT_RSS_PROBE_GC_OPTIONS (JSON) is passed to gc() (V8's gc extension options).
 * On SIGUSR2 it writes a heap snapshot to DIR/<pid>-<t>.heapsnapshot (it costs memory and time: a
 * diagnostic only). Its timer is unref'd: it never keeps the agent alive.
 */
import { appendFileSync } from 'node:fs'
import { getHeapCodeStatistics, getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8'
import { runInNewContext } from 'node:vm'

const dir = process.env.AGENT_RSS_PROBE_DIR
const everyMs = Number(process.env.AGENT_RSS_PROBE_MS ?? 5000)
const t0 = performance.now()
const kib = (bytes) => Math.round(bytes / 1024)
const seconds = () => Math.round((performance.now() - t0) / 100) / 10

if (dir !== undefined) {
  const file = `${dir}/${process.pid}.jsonl`
  const timer = setInterval(() => {
    const m = process.memoryUsage()
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, [kib(s.physical_space_size), kib(s.space_used_size)]]))
    const c = getHeapCodeStatistics()
    const line = {
      t: seconds(),
      rss: kib(m.rss),
      heapTotal: kib(m.heapTotal),
      heapUsed: kib(m.heapUsed),
      external: kib(m.external),
      arrayBuffers: kib(m.arrayBuffers),
      spaces,
      code: { code: kib(c.code_and_metadata_size), bytecode: kib(c.bytecode_and_metadata_size), source: kib(c.external_script_source_size) },
    }
    appendFileSync(file, `${JSON.stringify(line)}\n`)
  }, everyMs)
  timer.unref()
  const gcAt = (process.env.AGENT_RSS_PROBE_GC_AT ?? '').split(',').filter((x) => x !== '').map(Number)
  if (gcAt.length > 0) {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc')
    // e.g. {"type":"major","flavor":"last-resort"}: V8's gc extension options (default a full GC).
    const gcOptions = process.env.AGENT_RSS_PROBE_GC_OPTIONS === undefined ? undefined : JSON.parse(process.env.AGENT_RSS_PROBE_GC_OPTIONS)
    for (const at of gcAt) {
      setTimeout(() => {
        const before = process.memoryUsage()
        const start = performance.now()
        const cpu = process.cpuUsage()
        gc(gcOptions)
        const ms = Math.round((performance.now() - start) * 10) / 10
        const cpuMs = Math.round((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 100) / 10
        const after = process.memoryUsage()
        setTimeout(() => {
          const line = { t: seconds(), gc: { ms, cpuMs, rssBefore: kib(before.rss), rssAfter: kib(process.memoryUsage().rss), heapUsedBefore: kib(before.heapUsed), heapUsedAfter: kib(after.heapUsed) } }
          appendFileSync(file, `${JSON.stringify(line)}\n`)
        }, 1000).unref()
      }, at * 1000).unref()
    }
  }
  process.on('SIGUSR2', () => writeHeapSnapshot(`${dir}/${process.pid}-${seconds()}.heapsnapshot`))
}
