/**
 * StreamByteBudget: one bound on the bytes that stream reads buffer together, whatever the number
 * of streams. memberlist bounds one message (maxPushStateBytes, 20 MiB) and the push/pulls handled
 * at once (128), which still lets 128 peers that never finish a message make a node hold 2.5 GiB;
 * this budget bounds the sum. Each read takes a lease and grows it with its buffer's capacity (the
 * allocated bytes, not only those received); a growth the budget cannot cover is refused (the read
 * then fails with ERR_TRANSPORT_BUDGET and closes its stream, see stream-reader.ts), and the lease
 * goes back when its owner is done with the message. Pure bookkeeping: no I/O, no clock.
 */

/** The bytes one read holds against a budget. */
export interface ByteLease {
  /** Bytes held now. */
  readonly bytes: number
  /** Holds `toBytes` in total (more or fewer than now); false, and nothing changed, when the budget cannot cover it. */
  resize(toBytes: number): boolean
  /** Gives every held byte back; idempotent. A released lease holds nothing and refuses growth. */
  release(): void
}

export class StreamByteBudget {
  /** Bytes held by all leases now. */
  usedBytes = 0
  /** The most ever held at once. */
  peakBytes = 0
  /** Growths refused because they would pass the limit. */
  refused = 0

  /** `limitBytes`: most bytes all leases may hold together. */
  constructor(readonly limitBytes: number) {
    if (!(Number.isInteger(limitBytes) && limitBytes >= 0)) throw new RangeError(`stream byte budget must be an integer >= 0 (got ${limitBytes})`)
  }

  lease(): ByteLease {
    let held = 0
    let released = false
    const budget = this
    return {
      get bytes() {
        return held
      },
      resize(toBytes: number): boolean {
        if (released) return false
        const delta = toBytes - held
        if (delta > 0 && budget.usedBytes + delta > budget.limitBytes) {
          budget.refused++
          return false
        }
        budget.usedBytes += delta
        if (budget.usedBytes > budget.peakBytes) budget.peakBytes = budget.usedBytes
        held = toBytes
        return true
      },
      release(): void {
        if (released) return
        released = true
        budget.usedBytes -= held
        held = 0
      },
    }
  }
}
