/**
 * Names an actor's worker thread after the actor, so `top -H`, `ps -L -o tid,comm`, /proc and a
 * profiler show which thread is which actor; every thread of a Node process is otherwise "node"
 * (bench/agents/join-cpu.ts told actors apart by creation order, and libuv's pool, started
 * lazily between two actors, shifted every label after it).
 *
 * Linux only: a thread may rename itself by writing /proc/thread-self/comm, which keeps the first
 * 15 bytes. Elsewhere, or where /proc is read-only (some sandboxes), nothing happens: a name is a
 * diagnostic, never a reason for a thread not to start.
 */
import { writeFileSync } from 'node:fs'

/** The prefix of an actor thread's name: `g:swim`, `g:member-manage` (15 bytes kept). */
export const ACTOR_THREAD_PREFIX = 'g:'
/** What Linux keeps of a thread name (TASK_COMM_LEN 16, with the terminating NUL). */
export const THREAD_NAME_BYTES = 15

/** The name an actor's thread takes: the prefix and the actor id, cut to what Linux keeps. */
export function actorThreadName(actorId: string): string {
  let name = ''
  let bytes = 0
  // Whole characters only: a cut inside one would leave Linux a broken UTF-8 tail.
  for (const ch of ACTOR_THREAD_PREFIX + actorId) {
    bytes += Buffer.byteLength(ch)
    if (bytes > THREAD_NAME_BYTES) break
    name += ch
  }
  return name
}

/** Renames the calling thread; true when Linux took the name. */
export function nameThisThread(name: string, platform: string = process.platform): boolean {
  if (platform !== 'linux') return false
  try {
    writeFileSync('/proc/thread-self/comm', name)
    return true
  } catch {
    return false
  }
}
