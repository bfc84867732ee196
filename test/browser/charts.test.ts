/**
 * `gossamer charts --format html` in a real Chromium (test/support/browser.ts): the page opens
 * from file://, every actor's chart is drawn (an svg per actor, its states and transitions laid
 * out with a size, their names rendered as text), and no request leaves the machine. Screenshots
 * go to test-artifacts/ (charts.png: the whole page; charts-top.png: what a reader sees first).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { main } from '../../src/cli/main.ts'
import { memoryIo } from '../../src/cli/io.ts'
import { knownActors } from '../../src/inspect/actor-catalog.ts'
import { safeId } from '../../src/inspect/render-svg.ts'
import type { ChartGraph } from '../../src/inspect/chart-types.ts'
import type { ChartLayout } from '../../src/inspect/chart-layout.ts'
import { artifactPath, launchChromium, offMachine, watchRequests, type LaunchedBrowser } from '../support/browser.ts'

const dir = mkdtempSync(join(tmpdir(), 'gossamer-charts-browser-'))
let browser: LaunchedBrowser
let page: Page
let requests: string[]
const graphs = new Map<string, { graph: ChartGraph; layout: ChartLayout }>()
const pageUrl = pathToFileURL(join(dir, 'html', 'charts.html')).href

beforeAll(async () => {
  expect(await main(['charts', '--format', 'html', '--out', join(dir, 'html')], memoryIo())).toBe(0)
  expect(await main(['charts', '--format', 'json', '--out', join(dir, 'json')], memoryIo())).toBe(0)
  for (const a of knownActors()) graphs.set(a, JSON.parse(readFileSync(join(dir, 'json', `${a}.json`), 'utf8')) as { graph: ChartGraph; layout: ChartLayout })
  browser = await launchChromium({ viewport: { width: 1400, height: 1000 } })
  requests = watchRequests(browser.context)
  page = await browser.context.newPage()
  await page.goto(pageUrl, { waitUntil: 'load' })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Drawn {
  width: number
  height: number
  /** How far the chart sticks out of its section on the right (px): a chart cut off there. */
  overflowPx: number
  states: string[]
  /** State titles whose text has no rendered width (a font or layout failure). */
  blankTitles: number
  edges: number
  labels: number
}

/** The few DOM calls the page is probed with (the project compiles without the DOM library). */
interface El {
  querySelector(selector: string): El | null
  querySelectorAll(selector: string): ArrayLike<El>
  getBoundingClientRect(): { width: number; height: number; right: number }
  getBBox(): { width: number }
  textContent: string | null
}

/** What Chromium drew for one actor's section (run in the page). */
function drawn(actor: string): Promise<Drawn | null> {
  return page.evaluate((id) => {
    const doc = (globalThis as unknown as { document: El }).document
    const svg = doc.querySelector(`section#actor-${id} svg.chart`)
    if (svg === null) return null
    const box = svg.getBoundingClientRect()
    const section = doc.querySelector(`section#actor-${id}`)!.getBoundingClientRect()
    return {
      width: box.width,
      height: box.height,
      overflowPx: Math.max(0, box.right - section.right),
      states: Array.from(svg.querySelectorAll('rect.state > title')).map((t) => t.textContent ?? ''),
      blankTitles: Array.from(svg.querySelectorAll('text.title')).filter((t) => t.getBBox().width === 0).length,
      edges: svg.querySelectorAll('path.edge').length,
      labels: Array.from(svg.querySelectorAll('text.label')).filter((t) => t.getBBox().width > 0).length,
    }
  }, safeId(actor))
}

describe('the offline charts page in Chromium', () => {
  it('draws every actor whole: an svg each, inside its section, with its states, transitions and labels rendered', async () => {
    expect(await page.title()).toBe('Gossamer statecharts')
    expect(await page.locator('svg.chart').count()).toBe(knownActors().length)
    for (const actor of knownActors()) {
      const { graph, layout } = graphs.get(actor)!
      const d = await drawn(actor)
      expect(d, actor).not.toBeNull()
      expect(d!.width, actor).toBeGreaterThan(100)
      expect(d!.height, actor).toBeGreaterThan(50)
      // A chart wider than the page is scaled to fit, not cut off (member-manager's is 1600 px wide).
      expect(d!.overflowPx, actor).toBe(0)
      const boxes = graph.nodes.filter((n) => n.kind !== 'history').map((n) => n.id)
      expect(d!.states.sort(), actor).toEqual(boxes.sort())
      expect(d!.blankTitles, actor).toBe(0)
      // Every transition, and an arrow from each initial-state dot.
      expect(d!.edges, actor).toBe(graph.edges.length + layout.markers.length)
      expect(d!.labels, actor).toBe(graph.edges.length)
    }
  })

  it('fetched nothing but the page itself: no request left the machine', async () => {
    // The watch works: it saw the page's own file.
    expect(requests).toContain(pageUrl)
    expect(offMachine(requests)).toEqual([])
    // And it would say so: a planted off-machine URL is reported.
    expect(offMachine([pageUrl, 'data:image/png;base64,AA', 'https://fonts.example/x.woff2'])).toEqual(['https://fonts.example/x.woff2'])
  })

  it('saves screenshots of the page (test-artifacts/charts.png, charts-top.png)', async () => {
    const full = await page.screenshot({ path: artifactPath('charts.png'), fullPage: true })
    const top = await page.screenshot({ path: artifactPath('charts-top.png') })
    // PNG files with something in them (a blank page compresses to a few KB).
    for (const png of [full, top]) {
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
      expect(png.length).toBeGreaterThan(20_000)
    }
  }, 60_000)
})
