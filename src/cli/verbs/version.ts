/**
 * `gossamer version` (also `gossamer -v` and `gossamer --version`): the package version and the
 * Serf agent protocol range, as `serf version` prints its own (`Serf v0.8.2` then
 * `Agent Protocol: 5 (Understands back to: 2)`), on stdout, exit 0; arguments are ignored, as Serf
 * ignores them.
 */
import { readFileSync } from 'node:fs'
import type { CliIo } from '../io.ts'

export const summary = 'print the Gossamer version'

/** Serf's protocol versions a gossamer agent speaks (its `-protocol` range, src/node/config.ts). */
const PROTOCOL_MAX = 5
const PROTOCOL_MIN = 2

/**
 * The version in the nearest package.json named gossamer above this file: the root is three
 * folders up from the sources (src/cli/verbs), four from the build (dist/src/cli/verbs) and from
 * an install (node_modules/gossamer/dist/...). At most MAX_UP folders are looked at.
 */
const MAX_UP = 8

export function packageVersion(): string {
  let up = '../'
  for (let i = 0; i < MAX_UP; i++, up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown }
      if (pkg.name === 'gossamer' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // None here (or unreadable): look further up.
    }
  }
  return 'unknown'
}

export function versionText(): string {
  return `Gossamer v${packageVersion()}\nAgent Protocol: ${PROTOCOL_MAX} (Understands back to: ${PROTOCOL_MIN})`
}

export async function run(_argv: string[], io: CliIo): Promise<number> {
  io.out(versionText())
  return 0
}
