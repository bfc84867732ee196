/**
 * A real Chromium for browser tests: Debian's `chromium` (installed by scripts/install-deps.sh;
 * no downloaded browser) driven by playwright-core. Each launch gets a fresh profile folder,
 * removed at close, and flags that keep Chromium from reaching for the network on its own (the
 * machine may have none: background networking would only flood refused connections).
 *
 * `watchRequests(context)` records every request a page makes, so a test can hold that none left
 * the machine; `artifactPath(name)` is where screenshots go (test-artifacts/, git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM_PATH = '/usr/bin/chromium'

/** Chromium's flags for a quiet, headless, offline-safe run. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export interface LaunchedBrowser {
  context: BrowserContext
  /** Closes the browser (every page) and removes its profile folder. */
  close(): Promise<void>
}

/**
 * Launches Chromium with a fresh profile. Throws with what to install when the browser is
 * missing: a browser test must not pass by not running.
 */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: run scripts/install-deps.sh (Debian's chromium package)`)
  const profile = mkdtempSync(join(tmpdir(), 'gossamer-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: options.viewport ?? { width: 1280, height: 900 },
      // Chromium's own start can take seconds on a loaded machine.
      timeout: 60_000,
    })
    return {
      context,
      close: async () => {
        try {
          await context.close()
        } finally {
          rmSync(profile, { recursive: true, force: true })
        }
      },
    }
  } catch (err) {
    rmSync(profile, { recursive: true, force: true })
    throw err
  }
}

/** Every URL requested by any page of `context` from now on (documents, images, fonts, fetches). */
export function watchRequests(context: BrowserContext): string[] {
  const urls: string[] = []
  context.on('request', (r) => void urls.push(r.url()))
  return urls
}

/** Requests that would leave the machine: anything but file: and data: URLs. */
export function offMachine(urls: readonly string[]): string[] {
  return urls.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))
}

/** A path in test-artifacts/ (git-ignored), the folder created if missing. */
export function artifactPath(name: string): string {
  const dir = join(ROOT, 'test-artifacts')
  mkdirSync(dir, { recursive: true })
  return join(dir, name)
}
