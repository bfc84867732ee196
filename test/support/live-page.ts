/**
 * Debian's Chromium driven by playwright-core for the live page's browser test: headless, no
 * sandbox (containers), no GPU, and nothing that would reach the network on its own (the machine
 * has none: background networking would flood refused connections). playwright-core gives each
 * launch a fresh temporary profile. `available()` says whether the browser is installed.
 */
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

/** Where screenshots go (git-ignored): test-artifacts/ at the repository's root. */
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts')

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, name)
}
