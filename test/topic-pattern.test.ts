import { describe, expect, it } from 'vitest'

import { librdkafkaPattern, patternProblem } from '../lib/topic-pattern'

describe('topic patterns (RegExp subscriptions)', () => {
  it("turns an unanchored pattern into librdkafka's search from the start, and keeps an anchored one", () => {
    expect(librdkafkaPattern(/mid/)).toBe('^.*(mid)')
    expect(librdkafkaPattern(/a|b/)).toBe('^.*(a|b)')
    expect(librdkafkaPattern(/^orders-[0-9]+$/)).toBe('^orders-[0-9]+$')
  })

  it('accepts the subset POSIX reads the same way and refuses the rest, naming it', () => {
    for (const ok of [/orders/, /^a\.b$/, /x{2,3}(y|z)*[A-Za-z_-]+/, /a\\d/])
      expect(patternProblem(ok), String(ok)).toBeUndefined()
    const refused: Array<[RegExp, string]> = [
      [/orders/i, 'flags (/i)'],
      [/orders/g, 'flags (/g)'],
      [/\d+/, '\\d'],
      [/a\b/, 'word boundary'],
      [/(a)\1/, 'backreferences'],
      [/(?:a|b)/, 'groups starting with (?'],
      [/a(?=b)/, 'groups starting with (?'],
      [/a+?/, 'lazy quantifiers'],
      [/\u0041/, 'character escapes'],
    ]
    for (const [re, why] of refused) expect(patternProblem(re), String(re)).toContain(why)
  })
})
