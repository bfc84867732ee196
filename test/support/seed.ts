/**
 * The seed of a test whose random choices are drawn outside a simulation (kill moments, burst
 * sizes): a fixed value per test by default, so every run makes the same choices, or
 * $GOSSAMER_TEST_SEED to explore other ones and to replay a failure. Failure messages carry
 * `replayHint(seed)`, which names the variable and the value to set.
 */
import { InvalidConfigError } from '../../src/errors/index.ts'

export const TEST_SEED_ENV = 'GOSSAMER_TEST_SEED'

/** $GOSSAMER_TEST_SEED if set (a decimal integer in [0, 2^32)), else `fallback`. */
export function testSeed(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[TEST_SEED_ENV]?.trim()
  if (text === undefined || text === '') return fallback
  const seed = /^\d{1,10}$/.test(text) ? Number(text) : NaN
  if (!(seed <= 0xffff_ffff)) throw new InvalidConfigError(TEST_SEED_ENV, `must be a decimal integer in [0, 4294967295] (got "${text}")`)
  return seed
}

/** "seed 7 (replay: GOSSAMER_TEST_SEED=7)", for failure messages. */
export function replayHint(seed: number): string {
  return `seed ${seed} (replay: ${TEST_SEED_ENV}=${seed})`
}
