/**
 * The agent's tags file and keyring file (serf-rpc.md 6.9), checked at setup with Serf's texts
 * (printed as `Failed to setup the Serf agent: <text>`). The tags file is read at start when it
 * exists and rewritten (JSON, 2-space indent, mode 0600) on every tag change; the keyring file must
 * exist and hold at least one key, and the node rewrites it on key changes.
 */
import type * as FsPromises from 'node:fs/promises'
import { AgentConfigError } from '../errors.ts'
import type { AgentConfig } from './agent-config.ts'
import { base64Error } from './agent-config.ts'
import { goFsError } from './config-file.ts'

/**
 * node:fs/promises is taken at the first file operation, not imported: loading it loads Node's
 * promise-based file handles with readline, fs.Dir and the file watchers (~0.85 MB resident on a
 * bare Node 20), which an agent without tags, keyring or config files never uses (issue 13: an
 * inline agent's budget is 50 MB).
 */
const fsp = (): typeof FsPromises => process.getBuiltinModule('node:fs/promises')

const setupError = (text: string, field: string): AgentConfigError => new AgentConfigError(`Failed to setup the Serf agent: ${text}`, field)

/** The tags the node starts with: the config's, or the tags file's when one is set. */
export async function loadStartTags(config: AgentConfig): Promise<Record<string, string>> {
  if (config.tagsFile === undefined) return config.tags
  if (config.tagsGiven || config.roleGiven) throw setupError('Tags config not allowed while using tag files', 'tags_file')
  let text: string
  try {
    text = await fsp().readFile(config.tagsFile, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw setupError(`Failed to read tags file: ${goFsError(err, 'open', config.tagsFile)}`, 'tags_file')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw setupError(`Failed to decode tags file: ${(err as Error).message}`, 'tags_file')
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || Object.values(json).some((v) => typeof v !== 'string')) {
    throw setupError('Failed to decode tags file: json: cannot unmarshal into Go value of type map[string]string', 'tags_file')
  }
  return json as Record<string, string>
}

/** Writes the tags file: a temporary file renamed over it, so a crash never leaves half a file. */
export async function writeTagsFile(path: string, tags: Readonly<Record<string, string>>): Promise<void> {
  const tmp = `${path}.tmp`
  await fsp().writeFile(tmp, JSON.stringify(tags, null, 2), { mode: 0o600 })
  await fsp().rename(tmp, path)
}

/** Checks the keyring file as Serf's agent does before it starts; resolves with its keys. */
export async function checkKeyringFile(config: AgentConfig): Promise<string[] | undefined> {
  const path = config.keyringFile
  if (path === undefined) return undefined
  if (config.encryptKey !== undefined) throw setupError('Encryption key not allowed while using a keyring', 'keyring_file')
  let text: string
  try {
    text = await fsp().readFile(path, 'utf8')
  } catch (err) {
    throw setupError(goFsError(err, 'stat', path), 'keyring_file')
  }
  let keys: unknown
  try {
    keys = JSON.parse(text)
  } catch (err) {
    throw setupError(`Failed to decode keyring file: ${(err as Error).message}`, 'keyring_file')
  }
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    throw setupError('Failed to decode keyring file: json: cannot unmarshal into Go value of type []string', 'keyring_file')
  }
  if (keys.length === 0) throw setupError('Keyring file contains no keys', 'keyring_file')
  for (const k of keys as string[]) {
    const bad = base64Error(k)
    if (bad !== undefined) throw setupError(`Failed to decode keyring file: ${bad}`, 'keyring_file')
  }
  return keys as string[]
}
