/** What `f` throws (as the coded error it should be), or undefined when it returns. */
import type { ClusterError } from '../../../src/errors/cluster-error.ts'

export function thrown(f: () => unknown): ClusterError | undefined {
  try {
    f()
    return undefined
  } catch (err) {
    return err as ClusterError
  }
}
