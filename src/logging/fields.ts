/** Every log field name Gossamer uses, in one place, so spellings stay uniform across threads. */
export const LOG_FIELDS = {
  node: 'node',
  actor: 'actor',
  thread: 'thread',
  err: 'err',
  restarts: 'restarts',
  delayMs: 'delayMs',
  count: 'count',
} as const
