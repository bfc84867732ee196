// How many vectors the capture keeps, so fixtures stay small and representative.

/** At most this many vectors per signature (message shape) per scenario. */
export const CAP_PER_SIGNATURE = 3
/** At most this many vectors per scenario. */
export const MAX_PER_SCENARIO = 40
