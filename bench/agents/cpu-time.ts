/**
 * CPU time of an agent process by thread, from /proc/<pid>/task/<tid>/schedstat (Linux): ns on a
 * CPU and ns runnable but waiting for one. Nanosecond resolution, where /proc/<pid>/stat's
 * utime+stime is in 10 ms ticks: what bench:agents needs to see a few milliseconds of polling cost
 * over a few seconds, and join-cpu a join burst of tens of milliseconds.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** Per thread id: ns on a CPU and ns runnable but waiting (schedstat's first two fields). */
export type ThreadTimes = Map<string, { runNs: number; waitNs: number }>

export function threadTimes(pid: number): ThreadTimes {
  const out: ThreadTimes = new Map()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [runNs, waitNs] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number)
      out.set(tid, { runNs: runNs!, waitNs: waitNs! })
    } catch {
      // The thread ended between the listing and the read: its time is lost to both readings.
    }
  }
  return out
}

/**
 * Each thread's name (/proc/<pid>/task/<tid>/comm): an actor's worker thread is `g:<actor id>`
 * (src/runtime/thread-name.ts), every other thread of a Node process "node" or a libuv/V8 name.
 */
export function threadNames(pid: number): Map<string, string> {
  const out = new Map<string, string>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim())
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out
}

/** What the threads spent between two readings (ms); threads born in between count from zero. */
export function spent(pid: number, before: ThreadTimes, after: ThreadTimes): { runMs: number; waitMs: number; mainMs: number } {
  let runNs = 0
  let waitNs = 0
  let mainNs = 0
  for (const [tid, t] of after) {
    const b = before.get(tid) ?? { runNs: 0, waitNs: 0 }
    runNs += t.runNs - b.runNs
    waitNs += t.waitNs - b.waitNs
    if (tid === String(pid)) mainNs += t.runNs - b.runNs
  }
  return { runMs: runNs / 1e6, waitMs: waitNs / 1e6, mainMs: mainNs / 1e6 }
}
