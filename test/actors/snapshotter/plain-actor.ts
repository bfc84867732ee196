/**
 * The snapshotter without its `coalesce` opt-in (one machine event per record message), with this
 * folder's thread entry: the baseline the coalesced actor's file must equal.
 */
import { defineActor } from '../../../src/runtime/define-actor.ts'
import { snapshotter } from '../../../actors/snapshotter/definition.ts'

const { coalesce: _coalesce, ...uncoalesced } = snapshotter

export const plainSnapshotter = defineActor({ ...uncoalesced, worker: new URL('./plain-worker.ts', import.meta.url) })
