import { vi } from 'vitest'
import { placementSuite } from './support/placement-suite.ts'

// Each test starts a system (and threads): up to 13 s apiece on a loaded machine, against the
// default 20 s. The timeout only guards against a hang.
vi.setConfig({ testTimeout: 60_000 })

placementSuite('inline')
