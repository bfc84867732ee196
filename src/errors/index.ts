export { ClusterError, InvalidConfigError, toWireError, fromWireError, isWireError } from './cluster-error.ts'
export type { WireError } from './cluster-error.ts'
export { formatValue } from './format-value.ts'
