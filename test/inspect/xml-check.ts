/**
 * A tiny well-formedness check for the SVG and HTML the charts write (no DOM in Node): every tag
 * is closed in order, attributes are quoted, text holds no raw `<` or a bare `&`. Returns the
 * problems found (empty when well-formed), and the tag names seen for further checks.
 */
const VOID_HTML = new Set(['meta', 'br', 'img', 'link', 'hr', 'input'])

export function xmlProblems(text: string, options: { html?: boolean } = {}): { problems: string[]; tags: string[] } {
  const problems: string[] = []
  const tags: string[] = []
  const stack: string[] = []
  const re = /<!DOCTYPE[^>]*>|<\?xml[^?]*\?>|<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g
  let last = 0
  const checkText = (s: string, at: number): void => {
    if (s.includes('<')) problems.push(`raw < or malformed tag near offset ${at}: ${JSON.stringify(s.slice(s.indexOf('<'), s.indexOf('<') + 40))}`)
    const amp = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(s)
    if (amp !== null) problems.push(`bare & near offset ${at + amp.index}`)
  }
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    checkText(text.slice(last, m.index), last)
    last = m.index + m[0].length
    if (m[2] === undefined) continue
    const [, close, name, , selfClose] = m
    const lower = name!.toLowerCase()
    if (close === '/') {
      const open = stack.pop()
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`)
    } else {
      tags.push(name!)
      if (selfClose !== '/' && !(options.html === true && VOID_HTML.has(lower))) stack.push(name!)
    }
  }
  checkText(text.slice(last), last)
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`)
  return { problems, tags }
}
