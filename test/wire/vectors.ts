/**
 * Byte vectors captured from Debian serf 0.9.4 agents on loopback (spec Appendix A), as hex.
 * Those marked "reconstructed" were derived from decoded values, not captured byte for byte.
 */
export const APPENDIX_A = {
  /** ping from `a` (17946) to `py`, SeqNo 23: 60 bytes. */
  ping: '0085a44e6f6465a27079a55365714e6f17aa536f7572636541646472a47f000001aa536f757263654e6f6465a161aa536f75726365506f7274cd461a',
  /** alive for `py`, inc 1, port 17950, tags {role: py}. */
  alive:
    '0486a441646472a47f000001ab496e6361726e6174696f6e01a44d657461aaff81a4726f6c65a27079a44e6f6465a27079a4506f7274cd461ea356736ea6010502020505',
  /** graceful-leave dead{From: c, Incarnation: 1, Node: c} in a hasCrc wrapper: 34 bytes. */
  deadWithCrc: '0c205a86560583a446726f6da163ab496e6361726e6174696f6e01a44e6f6465a163',
  /** Serf user event deploy/hello-payload, CC, LTime 1, in hasCrc: 53 bytes. */
  userEventWithCrc:
    '0cd0174c71' + '08' + '03' + '84a24343c3a54c54696d6501a44e616d65a66465706c6f79a75061796c6f6164ad68656c6c6f2d7061796c6f6164',
  /** Compound header of a ping with 2 piggybacks: parts of 60, 68 and 18 bytes. */
  compoundHeader: '0703003c00440012',
  /** Start of a compressed TCP push/pull reply: compress{Algo 0, Buf: raw16 of 258 bytes}. */
  compressedStreamStart: '0982a4416c676f00a3427566da0102',
  /** push/pull header {Join: true, Nodes: 2, UserStateLen: 588} (reconstructed). */
  pushPullHeader: '83a44a6f696ec3a54e6f64657302ac5573657253746174654c656ecd024c',
  /** Start of an encrypted stream reply: [10][len 241][vsn 1]. */
  encryptedStreamStart: '0a000000f101',
} as const
