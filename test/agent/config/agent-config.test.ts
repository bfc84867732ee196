import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { base64Error, createAgentConfig, serfCreateError } from '../../../src/agent/config/agent-config.ts'
import { decodeConfigObject, readConfigPaths } from '../../../src/agent/config/config-file.ts'
import { parseAgentCommandLine } from '../../../src/agent/config/flags.ts'
import { mergeConfig } from '../../../src/agent/config/merge.ts'
import type { RawConfig } from '../../../src/agent/config/config-keys.ts'
import { toNodeOptions } from '../../../src/agent/config/to-node-options.ts'
import { resolveNodeConfig } from '../../../src/node/config.ts'

const dir = mkdtempSync(join(tmpdir(), 'agent-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(name: string, json: unknown): string {
  const path = join(dir, name)
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json))
  return path
}

/** The merged config of a command line (files read as the agent reads them). */
async function load(argv: string[]) {
  const cmd = parseAgentCommandLine(argv)
  return createAgentConfig(await readConfigPaths(cmd.configPaths), cmd.config, 'host-1')
}

describe('agent - config - merge', () => {
  it.each([
    ['a non-empty string wins', { node_name: 'a' }, { node_name: 'b' }, { node_name: 'b' }],
    ['an empty string does not', { node_name: 'a' }, { node_name: '' }, { node_name: 'a' }],
    ['a zero int does not', { retry_max_attempts: 3 }, { retry_max_attempts: 0 }, { retry_max_attempts: 3 }],
    ['protocol only when > 0', { protocol: 4 }, { protocol: -1 }, { protocol: 4 }],
    ['a zero duration does not', { retry_interval: 5000 }, { retry_interval: 0 }, { retry_interval: 5000 }],
    ['a later false never clears a true', { leave_on_terminate: true }, { leave_on_terminate: false }, { leave_on_terminate: true }],
    ['enable_compression is copied as is', { enable_compression: true }, { enable_compression: false }, { enable_compression: false }],
    ['tags merge per key', { tags: { a: '1', b: '2' } }, { tags: { b: '3', c: '4' } }, { tags: { a: '1', b: '3', c: '4' } }],
    ['lists concatenate', { start_join: ['x'], event_handlers: ['h1'] }, { start_join: ['y'], event_handlers: ['h2'] }, { start_join: ['x', 'y'], event_handlers: ['h1', 'h2'] }],
  ] satisfies [string, RawConfig, RawConfig, RawConfig][])('%s', (_name, a, b, want) => {
    expect(mergeConfig(a, b)).toEqual(want)
  })

  it('merges files in command-line order, then a directory\'s *.json in byte order, then flags win', async () => {
    const a = file('order/a.json', { node_name: 'from-a', tags: { x: 'a', only_a: '1' }, start_join: ['a'], leave_on_terminate: true })
    file('order/d/b.json', { tags: { x: 'd-b' }, start_join: ['d-b'] })
    file('order/d/B.json', { tags: { x: 'd-B' }, start_join: ['d-B'] }) // 'B' < 'b' byte-wise
    file('order/d/c.txt', { bogus: 1 }) // not *.json: ignored
    mkdirSync(join(dir, 'order/d/sub.json')) // a directory: ignored, no recursion
    const { config } = await load(['-config-file', a, `-config-dir=${join(dir, 'order/d')}`, '-tag=x=flag', '-join=flag'])
    expect(config.nodeName).toBe('from-a')
    expect(config.tags).toEqual({ x: 'flag', only_a: '1' })
    expect(config.startJoin).toEqual(['a', 'd-B', 'd-b', 'flag'])
    expect(config.leaveOnTerminate).toBe(true)
  })

  it('has Serf\'s defaults', async () => {
    const { config, warnings } = await load([])
    expect(warnings).toEqual([])
    expect(config).toMatchObject({
      nodeName: 'host-1',
      bind: '0.0.0.0:7946',
      rpcAddr: '127.0.0.1:7373',
      logLevel: 'INFO',
      profile: 'lan',
      protocol: 5,
      retryIntervalMs: 30_000,
      broadcastTimeoutMs: 5000,
      leaveOnTerminate: false,
      skipLeaveOnInterrupt: false,
      enableCompression: true,
      placement: 'workers',
      tiering: 'auto',
      idleGc: 'on',
      queryResponseSizeLimit: 1024,
      userEventSizeLimit: 512,
    })
  })

  it('applies the fix-ups: role into tags with a warning, minimum intervals, advertise port 7946', async () => {
    const { config, warnings } = await load(['-role=db', '-retry-interval=10ms', '-broadcast-timeout=1ms', '-rejoin', '-advertise=10.0.0.9', '-bind=127.0.0.1'])
    expect(config.tags).toEqual({ role: 'db' })
    expect(config.retryIntervalMs).toBe(1000)
    expect(config.broadcastTimeoutMs).toBe(1000)
    expect(config.advertise).toBe('10.0.0.9:7946')
    expect(config.bind).toBe('127.0.0.1:7946')
    expect(warnings).toEqual([
      "Deprecation warning: 'Role' has been replaced with 'Tags'",
      "Warning: 'RetryInterval' is too low. Setting to 1s",
      "Warning: 'BroadcastTimeout' is too low. Setting to 1s",
      "Warning: 'RejoinAfterLeave' enabled without snapshot file",
    ])
  })
})

describe('agent - config - files', () => {
  it.each([
    ['an unknown key', { bogus_key: 1, node_name: 'a' }, "Error decoding 'P': 1 error(s) decoding:\n\n* '' has invalid keys: bogus_key"],
    ['a number in a string field', { node_name: 5 }, "Error decoding 'P': 1 error(s) decoding:\n\n* 'node_name' expected type 'string', got unconvertible type 'float64', value: '5'"],
    ['a string in an int field', { protocol: '4' }, "Error decoding 'P': 1 error(s) decoding:\n\n* 'protocol' expected type 'int', got unconvertible type 'string', value: '4'"],
    ['a number in a bool field', { rejoin_after_leave: 1 }, "Error decoding 'P': 1 error(s) decoding:\n\n* 'rejoin_after_leave' expected type 'bool', got unconvertible type 'float64', value: '1'"],
    [
      'several errors, sorted',
      { z: 1, tags: { a: 1 }, start_join: 'x' },
      "Error decoding 'P': 3 error(s) decoding:\n\n* '' has invalid keys: z\n* 'start_join': source data must be an array or slice, got string\n* 'tags[a]' expected type 'string', got unconvertible type 'float64', value: '1'",
    ],
    ['a bad duration', { retry_interval: 'soon' }, 'Error decoding \'P\': time: invalid duration "soon"'],
    ['not an object', [1], "Error decoding 'P': json: cannot unmarshal array into Go value of type map[string]interface {}"],
  ])('refuses %s with Serf\'s text', (_name, json, message) => {
    expect(() => decodeConfigObject('P', json)).toThrow(expect.objectContaining({ code: 'ERR_AGENT_CONFIG', message }))
  })

  it('takes a JSON number in an int field and null as unset', () => {
    expect(decodeConfigObject('P', { protocol: 4, retry_max_attempts: 2.9, node_name: null })).toEqual({ protocol: 4, retry_max_attempts: 2 })
  })

  it('says which path is missing', async () => {
    const missing = join(dir, 'nope.json')
    await expect(readConfigPaths([missing])).rejects.toThrow(`Error reading '${missing}': stat ${missing}: no such file or directory`)
  })

  it('names the file of a decoding error inside a directory', async () => {
    file('bad/x.json', { bogus_key: true })
    const path = join(dir, 'bad/x.json')
    await expect(readConfigPaths([join(dir, 'bad')])).rejects.toThrow(`Error decoding '${path}': 1 error(s) decoding:\n\n* '' has invalid keys: bogus_key`)
  })
})

describe('agent - config - validation', () => {
  it.each([
    [['-log-level=verbose'], 'Invalid log level: VERBOSE. Valid log levels are: [TRACE DEBUG INFO WARN ERR]'],
    [['-profile=foo'], 'Unknown profile: foo'],
    [['-event-handler=member-foo=x.sh'], "Invalid event script: Event 'member-foo' invoking 'x.sh'"],
    [['-event-handler=foo,user:blah,bar,query:tubez=s.sh'], "Invalid event script: Event 'foo' invoking 's.sh'"],
    [['-event-handler=FOO=1 ./x.sh'], "Invalid event script: Event 'FOO' invoking '1 ./x.sh'"],
    [['-bind=127.0.0.1:99999'], 'Invalid bind address: address 127.0.0.1:99999: invalid port'],
    [['-advertise=10.0.0.1:x'], 'Invalid advertise address: address 10.0.0.1:x: invalid port'],
    [['-encrypt=!abc'], 'Invalid encryption key: illegal base64 data at input byte 0'],
    [['-placement=threads'], 'Invalid placement: threads. Valid placements are: [workers inline]'],
    [['-metrics-addr=9100'], 'Invalid metrics address: address 9100: missing port in address'],
    [['-tiering=no'], 'Invalid tiering: no. Valid values are: [auto off]'],
    [['-idle-gc=never'], 'Invalid idle-gc: never. Valid values are: [on off]'],
  ])('%j is refused with %j', async (argv, message) => {
    await expect(load(argv)).rejects.toThrow(expect.objectContaining({ code: 'ERR_AGENT_CONFIG', message }))
  })

  it('takes the idle GC opt-out from the flag or the config file key (idle_gc), the flag winning', async () => {
    expect((await load([])).config.idleGc).toBe('on')
    expect((await load(['-idle-gc=off'])).config.idleGc).toBe('off')
    const f = file('idle-gc.json', { idle_gc: 'off' })
    expect((await load(['-config-file', f])).config.idleGc).toBe('off')
    expect((await load(['-config-file', f, '-idle-gc=on'])).config.idleGc).toBe('on')
    const bad = file('idle-gc-bad.json', { idle_gc: true })
    await expect(load(['-config-file', bad])).rejects.toThrow(expect.objectContaining({ code: 'ERR_AGENT_CONFIG' }))
  })

  it('takes the TurboFan opt-out from the flag or the config file key, and names the key of a bad value', async () => {
    expect((await load(['-tiering=off'])).config.tiering).toBe('off')
    const f = file('tiering.json', { tiering: 'off' })
    expect((await load(['-config-file', f])).config.tiering).toBe('off')
    // The flag wins over the file, as every flag does.
    expect((await load(['-config-file', f, '-tiering=auto'])).config.tiering).toBe('auto')
    const bad = file('tiering-bad.json', { tiering: 'never' })
    await expect(load(['-config-file', bad])).rejects.toThrow(expect.objectContaining({ code: 'ERR_AGENT_CONFIG', details: { field: 'tiering' }, message: 'Invalid tiering: never. Valid values are: [auto off]' }))
  })

  it('keeps the code cache in XDG\'s cache home by default; the flag or the file key names another folder or turns it off', async () => {
    const cmd = parseAgentCommandLine([])
    const byDefault = createAgentConfig({}, cmd.config, 'host-1', () => '/home/u/.cache/gossamer/code-cache').config
    expect(byDefault.codeCache).toBe('/home/u/.cache/gossamer/code-cache')
    expect(toNodeOptions(byDefault, {}).codeCache).toBe('/home/u/.cache/gossamer/code-cache')
    expect((await load(['-code-cache=/srv/cc'])).config.codeCache).toBe('/srv/cc')
    const off = (await load(['-code-cache=off'])).config
    expect(off.codeCache).toBeUndefined()
    expect(toNodeOptions(off, {})).not.toHaveProperty('codeCache')
    const f = file('code-cache.json', { code_cache: 'off' })
    expect((await load(['-config-file', f])).config.codeCache).toBeUndefined()
    expect((await load(['-config-file', f, '-code-cache=/srv/cc'])).config.codeCache).toBe('/srv/cc')
    const bad = file('code-cache-bad.json', { code_cache: 5 })
    await expect(load(['-config-file', bad])).rejects.toThrow(expect.objectContaining({ code: 'ERR_AGENT_CONFIG' }))
  })

  it('accepts log levels in any case', async () => {
    expect((await load(['-log-level=warn'])).config.logLevel).toBe('WARN')
  })

  it.each([
    [['-protocol=9'], "Protocol version '9' too high. Must be in range: [2, 5]"],
    [['-protocol=1'], "Protocol version '1' too low. Must be in range: [2, 5]"],
    [['-encrypt=AAAA'], 'key size must be 16, 24 or 32 bytes'],
  ])('%j fails to create Serf with %j', async (argv, message) => {
    expect(serfCreateError((await load(argv)).config)).toBe(message)
  })

  it('checks base64 as Go\'s StdEncoding', () => {
    expect([base64Error('QUJD'), base64Error('QUI='), base64Error('QUI'), base64Error('QU=I'), base64Error('QUJD===')]).toEqual([
      undefined,
      undefined,
      'illegal base64 data at input byte 0',
      'illegal base64 data at input byte 2',
      'illegal base64 data at input byte 4',
    ])
  })

  it('maps to NodeOptions without joins (the agent joins itself)', async () => {
    const key = Buffer.alloc(16, 1).toString('base64')
    const { config } = await load(['-node=n1', '-bind=127.0.0.1:0', '-profile=local', '-encrypt', key, '-snapshot=s', '-join=x', '-placement=inline', '-log-level=err', '-code-cache=/c'])
    expect(toNodeOptions(config, { a: 'b' })).toEqual({
      name: 'n1',
      bind: '127.0.0.1:0',
      profile: 'local',
      protocol: 5,
      tags: { a: 'b' },
      replay: false,
      rejoinAfterLeave: false,
      placement: 'inline',
      coalesce: { members: true, userEvents: true },
      logLevel: 'silent',
      logRingLevel: 'trace',
      leaveTimeoutMs: 5000,
      nameConflictResolution: true,
      compression: true,
      querySizeLimit: 1024,
      queryResponseSizeLimit: 1024,
      userEventSizeLimit: 512,
      keys: [key],
      snapshotPath: 's',
      codeCache: '/c',
    })
  })

  it('passes every reconnect, reap, name-resolution, compression and size key on to the node', async () => {
    const f = file('passed.json', {
      reconnect_interval: '10s',
      reconnect_timeout: '1h',
      tombstone_timeout: '2h',
      disable_name_resolution: true,
      query_size_limit: 2048,
      query_response_size_limit: 4096,
      user_event_size_limit: 1024,
    })
    const { config } = await load(['-node=n1', `-config-file=${f}`, '-disable-compression'])
    const options = toNodeOptions(config, {})
    expect(options).toMatchObject({
      reconnectIntervalMs: 10_000,
      reconnectTimeoutMs: 3_600_000,
      tombstoneTimeoutMs: 7_200_000,
      nameConflictResolution: false,
      compression: false,
      querySizeLimit: 2048,
      queryResponseSizeLimit: 4096,
      userEventSizeLimit: 1024,
    })
    // And the node takes them as given (its one validation).
    expect(resolveNodeConfig(options)).toMatchObject({ reconnectIntervalMs: 10_000, tombstoneTimeoutMs: 7_200_000, compression: false, nameConflictResolution: false })
    // Zero or absent durations leave the node's defaults, as Serf applies them only when non-zero.
    const plain = toNodeOptions((await load(['-node=n1'])).config, {})
    expect([plain.reconnectIntervalMs, plain.reconnectTimeoutMs, plain.tombstoneTimeoutMs]).toEqual([undefined, undefined, undefined])
  })

  it('refuses disable_coordinates (no actor can turn coordinates off) instead of ignoring it', async () => {
    const f = file('coords.json', { disable_coordinates: true })
    await expect(load([`-config-file=${f}`])).rejects.toThrow("Config key 'disable_coordinates' is not supported by gossamer agent")
    const off = file('coords-off.json', { disable_coordinates: false })
    await expect(load([`-config-file=${off}`])).resolves.toBeDefined()
  })
})
