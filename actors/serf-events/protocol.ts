/**
 * serf-events protocol: what the serf-events actor accepts and emits (Serf's user events, queries,
 * internal queries and their responses, spec §5.8-5.12).
 *
 * Senders:
 * - swim: `serf.message`, each Serf message of the types this actor owns (user event, query, query
 *   response, relay, and the internal queries' messages) as it arrived, so no copy takes a detour
 *   through member-manager.
 *
 * This is the only file of the actor that other actors may import. The unions are APPEND-ONLY.
 */

/**
 * Tell (swim): one Serf message received by gossip or as a direct UDP user message: the bytes after
 * memberlist's `0x08` user-message type byte, i.e. `[serfType][msgpack body]`, unchanged, so a
 * rebroadcast relays the exact bytes received.
 */
export interface SerfMessageMsg {
  type: 'serf.message'
  bytes: Uint8Array
  /** "ip:port" of the datagram's or stream's sender (not necessarily the message's originator). */
  from: string
}

/** Serf message type numbers (spec §5.2) this actor owns; swim routes these here. */
export const SERF_EVENTS_MESSAGE_TYPES: ReadonlySet<number> = new Set([
  3, // userEvent
  4, // query
  5, // queryResponse
  9, // relay
])
