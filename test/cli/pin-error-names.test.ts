/**
 * scripts/pin-error-names.mjs: the bundle minifies identifiers (scripts/bundle-cli.mjs), and an
 * error's `name` is its class's (ClusterError sets `this.name = new.target.name`); pinned, an
 * error class built by esbuild with minified identifiers still carries its source name.
 */
import { transformSync } from 'esbuild'
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
// @ts-expect-error a build script in plain JavaScript, without types
import { pinErrorNames } from '../../scripts/pin-error-names.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const pin = pinErrorNames as (source: string) => string

/** Minified as the bundle minifies (identifiers too), run, and the names of the errors it made. */
function namesAfterMinify(source: string): string[] {
  const code = transformSync(source, { loader: 'ts', format: 'iife', globalName: 'out', minifyIdentifiers: true, minifySyntax: true, minifyWhitespace: true, target: 'node20' }).code
  return (new Function(`${code}; return out.made.map((e) => e.name)`) as () => string[])()
}

const SAMPLE = `
class ClusterError extends Error {
  static override name = 'ClusterError'
  constructor(readonly code: string, message: string) { super(message); this.name = new.target.name }
}
class InvalidThingError extends ClusterError { constructor() { super('ERR_THING', 'bad thing') } }
class HelpRequested extends ClusterError { constructor() { super('ERR_HELP', 'help') } }
class Plain { x = 1 }
export const made = [new InvalidThingError(), new HelpRequested()]
export const plain = new Plain()
`

describe('cli - error names in the minified bundle', () => {
  it('an error class keeps its source name once pinned (and would not without)', () => {
    expect(namesAfterMinify(pin(SAMPLE))).toEqual(['InvalidThingError', 'HelpRequested'])
    // The check has teeth: minified without the pins, the subclasses are renamed.
    expect(namesAfterMinify(SAMPLE)).not.toEqual(['InvalidThingError', 'HelpRequested'])
  })

  it('pins nothing but error classes', () => {
    expect(pin(SAMPLE)).not.toMatch(/class Plain \{ static name/)
    expect(pin('class Foo extends Bar {}')).toBe('class Foo extends Bar {}')
  })

  it("reaches every error class of the package's sources", () => {
    // Each `class X...` whose name or base ends in Error gets its pin right after the brace.
    const files = execFileSync('git', ['ls-files', 'src', 'actors'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.ts'))
    let pinned = 0
    for (const f of files) {
      const source = readFileSync(resolve(ROOT, f), 'utf8')
      const classes = [...source.matchAll(/\bclass\s+([A-Z]\w*)(?:\s+extends\s+([\w.]+))?/g)].filter((m) => m[1]!.endsWith('Error') || (m[2] ?? '').endsWith('Error'))
      const out = pin(source)
      for (const m of classes) expect(out, `${f}: ${m[1]}`).toContain(`static name = ${JSON.stringify(m[1])};`)
      pinned += classes.length
    }
    expect(pinned).toBeGreaterThan(40)
  })
})
