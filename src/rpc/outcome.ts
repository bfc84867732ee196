/**
 * A node call's outcome as a value: the agent answers a failed call with the error's text in the
 * response header (and the command's body when it has one); it never lets the failure escape.
 */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: string; code: string }

export async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p }
  } catch (err) {
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'ERR_INTERNAL'
    return { ok: false, error: err instanceof Error ? err.message : String(err), code }
  }
}

/** Serf's texts for a refused `respond`, from the node's coded error (serf-rpc.md §5). */
export function respondErrorText(r: { error: string; code: string }): string {
  if (r.error.startsWith('failed to respond')) return r.error
  if (/DEADLINE/.test(r.code)) return 'failed to respond to key query: response is past the deadline'
  if (/ALREADY|RESPONDED/.test(r.code)) return 'failed to respond to key query: response already sent'
  return `failed to respond to key query: ${r.error}`
}
