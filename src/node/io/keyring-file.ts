/**
 * Serf's keyring file (serf-rpc.md §6.9): a JSON array of base64 keys, the primary first. Read at
 * start; every failure is an InvalidConfigError naming keyringFile, with Serf's wording where it
 * has one (`Keyring file contains no keys`, `Failed to decode keyring file: ...`).
 */
import { readFile } from 'node:fs/promises'
import { InvalidConfigError } from '../../errors/index.ts'
import { decodeKeyText } from '../../wire/keyring.ts'

export async function readKeyringFile(path: string): Promise<string[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
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
