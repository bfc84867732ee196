/**
 * An ActorEnv for building a machine to look at it, never to run it. `gossamer charts` calls each
 * definition's machine factory with this env to read the machine's structure (`machine.root`); the
 * factories only close over the env, so nothing here is called while a chart is drawn. Should a
 * factory touch it anyway, every port is inert: no timer is armed, nothing is sent, no thread,
 * socket or file is opened, and the clock stays at 0 (deterministic output).
 */
import type { ActorEnv, LogPort } from '../types/actor-env.ts'
import type { ActorId } from '../types/ids.ts'
import { createSeededRandom } from '../types/random.ts'
import { ClusterError } from '../errors/index.ts'

const noop = (): void => {}

const silentLog: LogPort = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, isLevelEnabled: () => false }

/** Refusal for the ports that would need a running system. */
const notRunning = (): Promise<never> => Promise.reject(new ClusterError('ERR_CHARTS_NOT_RUNNING', 'a machine built for its chart does not run: no ask or compute'))

export function inertEnv(id: string): ActorEnv {
  return {
    id: id as ActorId,
    node: '',
    clock: { now: () => 0, setTimeout: () => 0, clearTimeout: noop },
    random: createSeededRandom(1),
    log: silentLog,
    compute: { run: notRunning },
    send: () => 'unknown',
    whenReady: () => Promise.resolve(),
    ask: notRunning,
    reply: noop,
    fail: noop,
  }
}
