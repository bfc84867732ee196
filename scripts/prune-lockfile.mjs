#!/usr/bin/env node
// The registry this project installs from serves only some platform builds of msgpackr-extract (an
// optional native speed-up of msgpackr), so npm cannot lock the others and `npm ci` then refuses the
// lockfile as out of sync. Run this after `npm install` changes the lockfile: it drops optional
// dependencies that have no entry in the lockfile, which leaves a lockfile `npm ci` accepts.
import { readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(path, 'utf8'))
let removed = 0
for (const [name, entry] of Object.entries(lock.packages ?? {})) {
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
    if (lock.packages[`node_modules/${dep}`] === undefined && lock.packages[`${name}/node_modules/${dep}`] === undefined) {
      delete entry.optionalDependencies[dep]
      removed++
      console.log(`removed unlockable optional dependency ${dep} of ${name || 'the project'}`)
    }
  }
}
if (removed > 0) writeFileSync(path, JSON.stringify(lock, null, 2) + '\n')
