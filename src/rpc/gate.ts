/**
 * The per-connection session rules of Serf's agent (serf-rpc.md §1.6), as a pure decision on each
 * request header before its command runs: handshake first, then auth when a key is configured,
 * then a known command. One deliberate fix of a quirk the spec allows fixing: when a command is
 * refused with "Authentication required", its body (if the command takes one) is read and dropped,
 * so it is not mistaken for the next header and answered twice.
 */
import { SERF_ERRORS } from './errors.ts'
import { COMMANDS, isCommand } from './protocol.ts'

export interface SessionFlags {
  handshaken: boolean
  authenticated: boolean
  authRequired: boolean
}

export type GateDecision =
  | { type: 'run' }
  | {
      type: 'reject'
      error: string
      /** Close the connection after the reply. */
      close: boolean
      /** Read and drop the body that follows this header. */
      skipBody: boolean
      /** Which counter the refusal is counted under. */
      counter: 'handshakeRequired' | 'authRequired' | 'unknownCommands'
    }

export function gateRequest(flags: SessionFlags, command: string): GateDecision {
  if (!flags.handshaken && command !== 'handshake') {
    return { type: 'reject', error: SERF_ERRORS.handshakeRequired, close: true, skipBody: false, counter: 'handshakeRequired' }
  }
  if (flags.authRequired && !flags.authenticated && command !== 'handshake' && command !== 'auth') {
    const skipBody = isCommand(command) && COMMANDS[command]
    return { type: 'reject', error: SERF_ERRORS.authRequired, close: false, skipBody, counter: 'authRequired' }
  }
  if (!isCommand(command)) {
    return { type: 'reject', error: SERF_ERRORS.unsupportedCommand, close: true, skipBody: false, counter: 'unknownCommands' }
  }
  return { type: 'run' }
}
