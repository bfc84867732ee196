import { placementSuite } from './support/placement-suite.ts'

placementSuite('worker')
