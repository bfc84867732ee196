/**
 * Reading `-config-file` / `-config-dir` JSON as Serf does (serf-rpc.md 6.3): each file one JSON
 * object; unknown keys and type mismatches are fatal with mapstructure's texts
 * (`1 error(s) decoding:\n\n* '' has invalid keys: bogus_key`); a JSON number is fine in an int
 * field but not in a string one; a directory contributes its `*.json` regular files (no recursion)
 * in byte-wise order; everything merges in command-line order.
 */
import type * as FsPromises from 'node:fs/promises'
import { join } from 'node:path'
import { AgentConfigError } from '../errors.ts'
import { CONFIG_KEYS } from './config-keys.ts'
import type { ConfigKey, RawConfig } from './config-keys.ts'
import { parseGoDuration } from '../../cli/go-duration.ts'
import { mergeConfig } from './merge.ts'

/**
 * node:fs/promises is taken at the first file operation, not imported: loading it loads Node's
 * promise-based file handles with readline, fs.Dir and the file watchers (~0.85 MB resident on a
 * bare Node 20), which an agent without tags, keyring or config files never uses (issue 13: an
 * inline agent's budget is 50 MB).
 */
const fsp = (): typeof FsPromises => process.getBuiltinModule('node:fs/promises')

/** Go's name of a decoded JSON value's type (json.Unmarshal into interface{}). */
function goType(v: unknown): string {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'number') return 'float64'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return '[]interface {}'
  return 'map[string]interface {}'
}

/** Go's %v of a decoded JSON value. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`
  if (v === null) return '<nil>'
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort()
    return `map[${keys.map((k) => `${k}:${goValue((v as Record<string, unknown>)[k])}`).join(' ')}]`
  }
  return String(v)
}

const unconvertible = (name: string, want: string, v: unknown): string =>
  `'${name}' expected type '${want}', got unconvertible type '${goType(v)}', value: '${goValue(v)}'`

/** Decodes one file's JSON value into a RawConfig; `path` is for the messages. */
export function decodeConfigObject(path: string, json: unknown): RawConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    const what = Array.isArray(json) ? 'array' : json === null ? 'null' : typeof json === 'number' ? 'number' : typeof json
    throw new AgentConfigError(`Error decoding '${path}': json: cannot unmarshal ${what} into Go value of type map[string]interface {}`)
  }
  const errors: string[] = []
  const unknown: string[] = []
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (!Object.hasOwn(CONFIG_KEYS, key)) {
      unknown.push(key)
      continue
    }
    if (value === null) continue // mapstructure leaves a nil input at the zero value
    const type = CONFIG_KEYS[key as ConfigKey]
    switch (type) {
      case 'string':
      case 'duration':
        if (typeof value !== 'string') errors.push(unconvertible(key, 'string', value))
        else out[key] = value
        break
      case 'int':
        // A JSON number is a float64 in Go; mapstructure converts it to int (truncating).
        if (typeof value !== 'number') errors.push(unconvertible(key, 'int', value))
        else out[key] = Math.trunc(value)
        break
      case 'bool':
        if (typeof value !== 'boolean') errors.push(unconvertible(key, 'bool', value))
        else out[key] = value
        break
      case 'list':
        if (!Array.isArray(value)) errors.push(`'${key}': source data must be an array or slice, got ${goType(value)}`)
        else {
          value.forEach((item, i) => {
            if (typeof item !== 'string') errors.push(unconvertible(`${key}[${i}]`, 'string', item))
          })
          out[key] = value.filter((item): item is string => typeof item === 'string')
        }
        break
      case 'tags':
        if (typeof value !== 'object' || Array.isArray(value)) errors.push(`'${key}' expected a map, got '${goType(value)}'`)
        else {
          const tags: Record<string, string> = {}
          for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            if (typeof v !== 'string') errors.push(unconvertible(`${key}[${k}]`, 'string', v))
            else tags[k] = v
          }
          out[key] = tags
        }
        break
    }
  }
  if (unknown.length > 0) errors.push(`'' has invalid keys: ${unknown.sort().join(', ')}`)
  if (errors.length > 0) {
    const points = errors.map((e) => `* ${e}`).sort()
    throw new AgentConfigError(`Error decoding '${path}': ${points.length} error(s) decoding:\n\n${points.join('\n')}`)
  }
  // Durations are read after the structure, as Serf's DecodeConfig does.
  for (const [key, type] of Object.entries(CONFIG_KEYS)) {
    if (type !== 'duration' || typeof out[key] !== 'string') continue
    const d = parseGoDuration(out[key] as string)
    if (!d.ok) throw new AgentConfigError(`Error decoding '${path}': ${d.error}`, key)
    out[key] = d.ms
  }
  return out as RawConfig
}

/** Reads one file (`Error reading ...` / `Error decoding ...` as Serf). */
async function readConfigFile(path: string): Promise<RawConfig> {
  let text: string
  try {
    text = await fsp().readFile(path, 'utf8')
  } catch (err) {
    throw new AgentConfigError(`Error reading '${path}': ${goFsError(err, 'open', path)}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new AgentConfigError(`Error decoding '${path}': ${(err as Error).message}`)
  }
  return decodeConfigObject(path, json)
}

/** Every path (file or directory) merged in order into an initially empty config. */
export async function readConfigPaths(paths: readonly string[]): Promise<RawConfig> {
  let result: RawConfig = {}
  for (const path of paths) {
    let isDir: boolean
    try {
      isDir = (await fsp().stat(path)).isDirectory()
    } catch (err) {
      throw new AgentConfigError(`Error reading '${path}': ${goFsError(err, 'stat', path)}`)
    }
    if (!isDir) {
      result = mergeConfig(result, await readConfigFile(path))
      continue
    }
    const entries = await fsp().readdir(path, { withFileTypes: true })
    // Byte-wise order, as Go's sort of the names (not locale order).
    const names = entries
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => e.name)
      .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
    for (const name of names) result = mergeConfig(result, await readConfigFile(join(path, name)))
  }
  return result
}

/** Go's *PathError text: `open /x: no such file or directory`. */
export function goFsError(err: unknown, op: string, path: string): string {
  const code = (err as NodeJS.ErrnoException).code
  const text: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
  }
  return `${op} ${path}: ${(code !== undefined ? text[code] : undefined) ?? (err as Error).message}`
}
