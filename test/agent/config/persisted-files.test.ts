import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createAgentConfig } from '../../../src/agent/config/agent-config.ts'
import { checkKeyringFile, loadStartTags, writeTagsFile } from '../../../src/agent/config/persisted-files.ts'

const dir = mkdtempSync(join(tmpdir(), 'agent-files-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = (text: string): string => {
  const p = join(dir, `f${++n}.json`)
  writeFileSync(p, text)
  return p
}
const config = (flags: Record<string, unknown>) => createAgentConfig({}, flags, 'h').config

describe('agent - config - persisted-files', () => {
  it('starts with no tags when the tags file does not exist yet', async () => {
    expect(await loadStartTags(config({ tags_file: join(dir, 'absent.json') }))).toEqual({})
  })

  it.each([
    ['not JSON', '{', /^Failed to setup the Serf agent: Failed to decode tags file: /],
    ['not a map of strings', '{"a":1}', /^Failed to setup the Serf agent: Failed to decode tags file: json: cannot unmarshal/],
  ])('refuses a tags file that is %s', async (_name, text, message) => {
    await expect(loadStartTags(config({ tags_file: file(text) }))).rejects.toThrow(message)
  })

  it('refuses a role with a tags file', async () => {
    await expect(loadStartTags(config({ tags_file: file('{}'), role: 'web' }))).rejects.toThrow(
      'Failed to setup the Serf agent: Tags config not allowed while using tag files',
    )
  })

  it('writes the tags file as Serf: 2-space JSON, mode 0600, replacing the old one whole', async () => {
    const p = file('{"old":"x"}')
    await writeTagsFile(p, { a: '1', 'dc.zone': 'e' })
    expect(readFileSync(p, 'utf8')).toBe('{\n  "a": "1",\n  "dc.zone": "e"\n}')
    expect(statSync(p).mode & 0o777).toBe(0o600)
  })

  it.each([
    ['not JSON', 'x', /^Failed to setup the Serf agent: Failed to decode keyring file: /],
    ['not a list of strings', '{"a":1}', 'Failed to setup the Serf agent: Failed to decode keyring file: json: cannot unmarshal into Go value of type []string'],
    ['a bad key', '["!!"]', 'Failed to setup the Serf agent: Failed to decode keyring file: illegal base64 data at input byte 0'],
  ])('refuses a keyring file that is %s', async (_name, text, message) => {
    await expect(checkKeyringFile(config({ keyring_file: file(text) }))).rejects.toThrow(message)
  })

  it('reads a keyring file\'s keys', async () => {
    const key = Buffer.alloc(32, 7).toString('base64')
    expect(await checkKeyringFile(config({ keyring_file: file(JSON.stringify([key])) }))).toEqual([key])
  })
})
