// Source-mode entry of the compute pool's threads: register tsx, then use the TypeScript handler.
import { register } from 'tsx/esm/api'

register()
const { default: handler } = await import('./compute-task.ts')
export default handler
