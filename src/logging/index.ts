export { rootLogger, actorLogger, resolveLogLevel } from './root-logger.ts'
export type { RootLoggerOptions } from './root-logger.ts'
export { LOG_FIELDS } from './fields.ts'
