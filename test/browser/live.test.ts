/**
 * The live page in a real Chromium: a 3-node cluster (the watched node's actors each in a worker
 * thread, the two others inline), the page shows the three members, a killed member's row turns
 * failed, the transition stream keeps up, and the highlighted states move when the watched node
 * leaves (member-manager: lifecycle.alive -> lifecycle.leaving; swim: running -> leaving/left).
 * No request leaves the page's origin. Screenshots go to test-artifacts/live-page*.png.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { createNode } from '../../src/node/create-node.ts'
import type { GossamerNode } from '../../src/node/api.ts'
import { artifactPath, launchChromium } from '../support/live-page.ts'

const local = { bind: '127.0.0.1:0', profile: 'local', logLevel: 'silent' } as const
const nodes: GossamerNode[] = []
let browser: Browser | undefined

afterAll(async () => {
  await browser?.close()
  for (const n of nodes) await n.shutdown()
})

async function rowStatus(page: Page, name: string): Promise<string | null> {
  return page.locator(`#members tr[data-member="${name}"]`).getAttribute('data-status', { timeout: 1_000 }).catch(() => null)
}

// No skip when chromium is missing: scripts/install-deps.sh installs it, and a missing browser is a failure.
describe('the live page in Chromium', () => {
  it('shows the members, turns a killed one failed, keeps up with transitions, moves the highlighted state', async () => {
    const n1 = await createNode({ ...local, name: 'live-1', tags: { role: 'web' }, inspect: { addr: '127.0.0.1:0' } })
    nodes.push(n1)
    const n2 = await createNode({ ...local, name: 'live-2', tags: { role: 'db' }, placement: 'inline', join: [n1.address] })
    nodes.push(n2)
    const n3 = await createNode({ ...local, name: 'live-3', tags: { role: 'cache' }, placement: 'inline', join: [n1.address] })
    nodes.push(n3)

    browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } })
    const origin = new URL(n1.inspectUrl!).origin
    const requests: string[] = []
    page.on('request', (r) => void requests.push(r.url()))
    const errors: string[] = []
    page.on('pageerror', (e) => void errors.push(String(e)))
    await page.goto(n1.inspectUrl!)

    // The members, all alive, and each actor's chart with its current state lit.
    await page.waitForSelector('#conn[data-conn="live"]')
    for (const name of ['live-1', 'live-2', 'live-3']) await page.waitForSelector(`#members tr[data-member="${name}"][data-status="alive"]`)
    await page.waitForSelector('section.actor[data-actor="swim"][data-state="running"]')
    await page.waitForSelector('section.actor[data-actor="swim"] svg rect.state.active')
    expect(await page.locator('section.actor[data-actor="swim"] svg rect.state.active title').first().textContent()).toBe('swim.running')
    expect(await page.locator('section.actor svg.chart').count()).toBeGreaterThanOrEqual(4)

    // Kill live-3 (no leave): live-1's member-manager marks it failed and the row turns red.
    await n3.shutdown()
    await page.waitForSelector('#members tr[data-member="live-3"][data-status="failed"]', { timeout: 30_000 })
    expect(await rowStatus(page, 'live-2')).toBe('alive')

    // The stream keeps up: new transitions keep arriving, the newest from the last second or so.
    const first = await page.locator('#transitions li').count()
    expect(first).toBeGreaterThan(0)
    const newest = async (): Promise<string> => (await page.locator('#transitions li').first().textContent()) ?? ''
    const before = await newest()
    // A function, not a string: the page's CSP forbids eval (Node's types have no DOM, hence the cast).
    type Doc = { querySelector(s: string): { textContent: string | null } | null }
    await page.waitForFunction((prev) => (globalThis as unknown as { document: Doc }).document.querySelector('#transitions li')?.textContent !== prev, before, { timeout: 5_000 })
    const server = (await (await fetch(`${n1.inspectUrl}state.json`)).json()) as { server: { dropped: number; clients: number } }
    expect(server.server).toMatchObject({ dropped: 0, clients: 1 })
    await page.screenshot({ path: artifactPath('live-page.png'), fullPage: true })
    await page.screenshot({ path: artifactPath('live-page-top.png') })

    // The watched node leaves: member-manager's highlighted state moves from lifecycle.alive to
    // lifecycle.leaving (it broadcasts the intent, then waits), and swim's from running to leaving or
    // left; the page stays up until the leave is done, then the node stops it.
    const litTitles = async (actor: string): Promise<string[]> => page.locator(`section.actor[data-actor="${actor}"] svg rect.state.active title`).allTextContents()
    expect(await litTitles('member-manager')).toContain('member-manager.running.lifecycle.alive')
    const leaving = n1.leave()
    await page.waitForSelector('section.actor[data-actor="member-manager"][data-state*="lifecycle.leaving"]', { timeout: 10_000 })
    expect((await litTitles('member-manager')).some((t) => t.startsWith('member-manager.running.lifecycle.leaving'))).toBe(true)
    expect(await litTitles('member-manager')).not.toContain('member-manager.running.lifecycle.alive')
    await page.waitForSelector('section.actor[data-actor="swim"][data-state="leaving"], section.actor[data-actor="swim"][data-state="left"]', { timeout: 10_000 })
    expect(['swim.leaving', 'swim.left']).toContain((await litTitles('swim'))[0])
    await page.screenshot({ path: artifactPath('live-page-leaving.png') })
    await leaving
    await page.waitForSelector('#conn:not([data-conn="live"])', { timeout: 10_000 })

    expect(errors).toEqual([])
    expect(requests.filter((u) => !u.startsWith(origin))).toEqual([])
  }, 120_000)
})
