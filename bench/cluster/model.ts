/**
 * Reference figures the cluster bench is compared with: HashiCorp's convergence model (spec §9)
 * for join dissemination, and what memberlist's own timers (spec §4.2-4.5) imply for crash
 * detection, so a measured detection time can be judged against the protocol rather than a guess.
 */

/** HashiCorp's logistic model (spec §9): seconds until fraction `p` of N nodes are reached. */
export function modelSeconds(n: number, loss: number, p: number, fanout = 3, intervalS = 0.2): number | null {
  const contact = (fanout / n) * (1 - loss) * 0.5
  for (let r = 0; r <= 100; r++) {
    const fraction = 1 / (1 + (n + 1) * Math.exp(-contact * n * r))
    if (fraction >= p) return Math.round(r * intervalS * 100) / 100
  }
  return null
}

/** memberlist's suspicion bounds for n nodes (spec §4.5), in seconds. */
export function suspicionBoundsS(n: number, suspicionMult = 4, maxTimeoutMult = 6, probeIntervalS = 1): { minS: number; maxS: number; k: number } {
  const minS = suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * probeIntervalS
  return { minS, maxS: maxTimeoutMult * minS, k: n - 2 < suspicionMult - 2 ? 0 : suspicionMult - 2 }
}

/**
 * Probability that one probe of a live node fails at packet loss `loss` over UDP (spec §4.2-4.3):
 * the direct ping or its ack is lost, and every one of `k` indirect paths (request, ping, ack,
 * forwarded ack: four packets) loses a packet. The TCP fallback comes on top (it saves some of
 * these when the probe deadline, stretched by the health score, leaves room for SYN retries).
 */
export function udpProbeFailure(loss: number, k = 3): number {
  const ok = 1 - loss
  return (1 - ok ** 2) * (1 - ok ** 4) ** k
}
