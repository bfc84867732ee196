import { describe, expect, it } from 'vitest'
import { decodeTags, encodeTags, tagsEqual, TagsTooLargeError } from '../../../actors/member-manager/tags.ts'
import { decodeTags as wireDecodeTags, encodeTags as wireEncodeTags } from '../../../src/wire/index.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'))

describe('tags in node Meta', () => {
  it('encodes no tags as ff 80 (observed from serf 0.9.4)', () => {
    expect(hex(encodeTags({}, 5))).toBe('ff80')
  })
  it('encodes the 0xFF form with Go raw strings and sorted keys', () => {
    expect(hex(encodeTags({ role: 'web', dc: 'x' }, 5))).toBe('ff82' + 'a26463' + 'a178' + 'a4726f6c65' + 'a3776562')
  })
  it('decodes the observed agent vector in Go map order', () => {
    expect(decodeTags(fromHex('ff 82 a4 726f6c65 a3 776562 a2 6463 a1 78')).tags).toEqual({ role: 'web', dc: 'x' })
  })
  it('uses the bare role string below protocol 3 (NodeMeta old form)', () => {
    expect(new TextDecoder().decode(encodeTags({ role: 'db', dc: 'x' }, 2))).toBe('db')
    expect(decodeTags(new TextEncoder().encode('db')).tags).toEqual({ role: 'db' })
  })
  it('decodes empty Meta as an empty role, as Serf does', () => {
    expect(decodeTags(new Uint8Array(0)).tags).toEqual({ role: '' })
  })
  it('round-trips long and non-ASCII values', () => {
    const tags = { 'zone/é': 'ü'.repeat(40), long: 'x'.repeat(300) }
    expect(decodeTags(encodeTags(tags, 4)).tags).toEqual(tags)
  })
  it('refuses tags whose Meta exceeds 512 bytes', () => {
    expect(() => encodeTags({ big: 'x'.repeat(600) }, 5)).toThrow(TagsTooLargeError)
    try {
      encodeTags({ big: 'x'.repeat(600) }, 5)
    } catch (e) {
      expect((e as TagsTooLargeError).code).toBe('ERR_MEMBER_TAGS_TOO_LARGE')
    }
  })
  it('reports malformed Meta as an error value, keeping what decoded', () => {
    const r = decodeTags(fromHex('ff 82 a1 61 a1 62 a1')) // second pair truncated
    expect(r.error?.code).toBe('ERR_MEMBER_TAGS_MALFORMED')
    expect(r.tags).toEqual({ a: 'b' })
  })
  it('keeps a "__proto__" key as a plain own property', () => {
    const r = decodeTags(fromHex('ff 81 a9 5f5f70726f746f5f5f a1 78'))
    expect(Object.getPrototypeOf(r.tags)).toBe(Object.prototype)
    expect(Object.keys(r.tags)).toEqual(['__proto__'])
  })
  it('compares tag maps by content', () => {
    expect(tagsEqual({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true)
    expect(tagsEqual({ a: '1' }, { a: '2' })).toBe(false)
    expect(tagsEqual({ a: '1' }, { a: '1', b: '' })).toBe(false)
  })

  // src/wire has its own tag codec (for decode/JSON views); the two must never disagree on the bytes.
  it.each([
    [{}],
    [{ role: 'web', dc: 'x' }],
    [{ 'zone/é': 'ü'.repeat(40), b: '', a: 'x'.repeat(200) }],
  ])('writes the same Meta as src/wire and reads its Meta back (%o)', (tags: Record<string, string>) => {
    for (const version of [2, 5]) {
      const ours = encodeTags(tags, version)
      expect(hex(ours)).toBe(hex(wireEncodeTags(tags, { form: version < 3 ? 'role' : 'map' })))
      expect(decodeTags(ours).tags).toEqual({ ...wireDecodeTags(ours) })
    }
  })
})
