/**
 * Go's `base64.StdEncoding.DecodeString` acceptance, for the key commands: the agent decodes the key
 * before it asks the cluster, and a bad one is refused with Go's text
 * (`illegal base64 data at input byte N`, serf-rpc.md §3) and NumNodes 0.
 */
const ALPHABET = /[A-Za-z0-9+/]/

/** undefined when `text` is valid padded standard base64, else Go's error text. */
export function checkBase64Key(text: string): string | undefined {
  const bad = (i: number): string => `illegal base64 data at input byte ${i}`
  let i = 0
  while (i < text.length) {
    const start = i
    let j = 0
    for (; j < 4; j++, i++) {
      if (i >= text.length) return bad(start)
      const c = text[i]!
      if (c === '=') {
        // Padding only in the last two places of a quantum, and it ends the input.
        if (j < 2) return bad(i)
        if (j === 2) {
          if (text[i + 1] !== '=') return bad(i + 1 >= text.length ? i : i + 1)
          i += 2
        } else i += 1
        if (i < text.length) return bad(i)
        return undefined
      }
      if (!ALPHABET.test(c)) return bad(i)
    }
  }
  return undefined
}
