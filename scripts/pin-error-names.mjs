/**
 * The bundle minifies identifiers (scripts/bundle-cli.mjs: shorter source, and an inline agent
 * keeps its bundle's source in memory), which also shortens class names, and an error's `name` is
 * its class's (ClusterError sets `this.name = new.target.name`). Each class of this package named
 * `*Error` or extending an `*Error` gets a static `name` with its own, so errors read the same from
 * the bundle as from the sources. (esbuild's keepNames keeps every function's name instead, at
 * +1.6 MB resident for an inline agent, measured with scripts/agent-rss.ts.)
 * Tested by test/cli/pin-error-names.test.ts.
 */
export function pinErrorNames(source) {
  return source.replace(/\bclass\s+([A-Z]\w*)(\s+extends\s+([\w.]+))?\s*\{/g, (m, name, _, base) =>
    name.endsWith('Error') || (base ?? '').endsWith('Error') ? `${m} static name = ${JSON.stringify(name)};` : m)
}
