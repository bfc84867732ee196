/**
 * Serf's keyring file (serf-rpc.md §6.9): a JSON array of base64 keys, the primary first. Read at
 * start; every failure is an InvalidConfigError naming keyringFile, with Serf's wording where it
 * has one (`Keyring file contains no keys`, `Failed to decode keyring file: ...`).
 */
import type * as FsPromises from 'node:fs/promises'
import { InvalidConfigError } from '../../errors/index.ts'
import { decodeKeyText } from '../../wire/keyring.ts'

/**
 * node:fs/promises is taken at the first file operation, not imported: loading it loads Node's
 * promise-based file handles with readline, fs.Dir and the file watchers (~0.85 MB resident on a
 * bare Node 20), which an agent without tags, keyring or config files never uses (issue 13: an
 * inline agent's budget is 50 MB).
 */
const fsp = (): typeof FsPromises => process.getBuiltinModule('node:fs/promises')

export async function readKeyringFile(path: string): Promise<string[]> {
  let text: string
  try {
    text = await fsp().readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidConfigError('keyringFile', `could not be read: ${(err as Error).message}`, { cause: err })
  }
  let keys: unknown
  try {
    keys = JSON.parse(text)
  } catch (err) {
    throw new InvalidConfigError('keyringFile', `Failed to decode keyring file: ${(err as Error).message}`, { cause: err })
  }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new InvalidConfigError('keyringFile', 'Failed to decode keyring file: must be a JSON array of base64 strings')
  if (keys.length === 0) throw new InvalidConfigError('keyringFile', 'Keyring file contains no keys')
  return keys.map((k: string, i) => {
    try {
      decodeKeyText(k)
    } catch (err) {
      throw new InvalidConfigError(`keyringFile[${i}]`, 'must be base64 of a 16, 24 or 32-byte key', { cause: err })
    }
    return k.trim()
  })
}

/**
 * Rewrites the keyring file after a key change, as Serf does (serf-rpc.md §6.9): the keys as a JSON
 * array of base64 strings, the primary first, 2-space indent, mode 0600. Written to a temporary
 * file and renamed over the old one, so a crash mid-write leaves the old ring, never half a file.
 */
export async function writeKeyringFile(path: string, keys: readonly Uint8Array[]): Promise<void> {
  const text = `${JSON.stringify(keys.map((k) => Buffer.from(k).toString('base64')), null, 2)}\n`
  const tmp = `${path}.tmp-${process.pid}`
  await fsp().writeFile(tmp, text, { mode: 0o600 })
  await fsp().rename(tmp, path)
}
