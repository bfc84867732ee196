/**
 * Serf's MergeConfig (serf-rpc.md 6.3), `b` over `a`: strings win when non-empty, ints and
 * durations when non-zero (`protocol` when > 0), most booleans can only be switched on, tags merge
 * key by key, handler and join lists concatenate (a then b), and `enable_compression` is copied
 * from `b` whenever `b` has it.
 */
import { CONFIG_KEYS, ON_ONLY_BOOLS } from './config-keys.ts'
import type { ConfigKey, RawConfig } from './config-keys.ts'

export function mergeConfig(a: RawConfig, b: RawConfig): RawConfig {
  const out: Record<string, unknown> = { ...a }
  for (const key of Object.keys(b) as ConfigKey[]) {
    const value = b[key]
    if (value === undefined) continue
    const type = CONFIG_KEYS[key]
    const prev = out[key]
    switch (type) {
      case 'string':
        if (value !== '') out[key] = value
        break
      case 'int':
        if (key === 'protocol' ? (value as number) > 0 : value !== 0) out[key] = value
        break
      case 'duration':
        if (value !== 0) out[key] = value
        break
      case 'bool':
        if (!ON_ONLY_BOOLS.has(key)) out[key] = value
        else if (value === true) out[key] = true
        break
      case 'tags':
        out[key] = { ...((prev as Record<string, string> | undefined) ?? {}), ...(value as Record<string, string>) }
        break
      case 'list':
        out[key] = [...((prev as string[] | undefined) ?? []), ...(value as string[])]
        break
    }
  }
  return out as RawConfig
}
