/**
 * The code cache's folder: where it is by default, and whether it is safe to use.
 *
 * Safe means ours alone: V8 runs the bytecode a cache file holds, so a file somebody else could
 * write is code they could make this process run. The folder must be a directory owned by this
 * process's user and not writable by its group or others (it is created 0700); files in it are then
 * ours too. Anything else and the cache is not used at all (the actor compiles from source).
 */
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

export type DirCheck = { ok: true } | { ok: false; reason: 'absent' | 'not a directory' | 'not owned by this user' | 'writable by group or others' }

export function checkCacheDir(dir: string): DirCheck {
  let st
  try {
    st = statSync(dir)
  } catch {
    return { ok: false, reason: 'absent' }
  }
  if (!st.isDirectory()) return { ok: false, reason: 'not a directory' }
  // No uid on Windows (process.getuid is undefined there): the mode bits are all there is.
  if (process.getuid !== undefined && st.uid !== process.getuid()) return { ok: false, reason: 'not owned by this user' }
  if ((st.mode & 0o022) !== 0) return { ok: false, reason: 'writable by group or others' }
  return { ok: true }
}

/**
 * `gossamer agent`'s default: `$XDG_CACHE_HOME/gossamer/code-cache`, else
 * `~/.cache/gossamer/code-cache` (the XDG base directory default).
 */
export function defaultCodeCacheDir(env: NodeJS.ProcessEnv = process.env, home: () => string = homedir): string {
  const xdg = env['XDG_CACHE_HOME']
  // The XDG spec: a relative value is invalid and is ignored.
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(home(), '.cache')
  return join(base, 'gossamer', 'code-cache')
}
