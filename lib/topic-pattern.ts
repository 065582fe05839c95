// Topic patterns for subscribe(): a JavaScript RegExp, meaning what RegExp.test() means, on both
// engines. The kafkajs engine tests topic names with the RegExp itself. librdkafka takes a
// pattern as a name starting with "^" and searches topic names with POSIX extended regular
// expressions, which agree with JavaScript on a common subset: literal characters, escaped
// metacharacters, ".", bracket classes, groups, "|", the greedy quantifiers and the anchors.
// Patterns inside that subset are passed on, with an unanchored start made explicit (".*"), so
// /mid/ matches "a-mid-b" on both engines; anything outside it is refused, naming what, rather
// than matching other topics than it says.
import { invalidArg } from './errors'

// What JavaScript means differently from POSIX extended regular expressions, or POSIX lacks.
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/\\[dDwWsSbB]/, 'the class escapes \\d \\w \\s and the word boundary \\b'],
  [/\\[1-9]|\\k</, 'backreferences'],
  [/\\[uxcpPnrtfv0]/, 'character escapes such as \\u, \\x or \\n'],
  [/\(\?/, 'groups starting with (? (non-capturing, named, lookaround)'],
  [/[*+?}]\?/, 'lazy quantifiers such as *?'],
]

/** Why `re` cannot be a topic pattern, or undefined when it can. */
export function patternProblem(re: RegExp): string | undefined {
  if (re.flags !== '')
    return `flags (/${re.flags}) are not supported; write the pattern without them (e.g. [Oo]rders for /orders/i)`
  // An escaped backslash is a literal: drop those pairs first, so "\\\\d" is not read as "\\d".
  const source = re.source.replace(/\\\\/g, '')
  for (const [construct, what] of UNSUPPORTED) {
    if (construct.test(source))
      return `${what} are not supported in topic patterns (librdkafka reads POSIX extended regular expressions)`
  }
  return undefined
}

/** Throws `_INVALID_ARG` for a pattern no engine can honour as written. */
export function checkPattern(re: RegExp, index: number): void {
  const problem = patternProblem(re)
  if (problem !== undefined) throw invalidArg(`subscribe: topics[${index}] ${String(re)}: ${problem}`, { index })
}

/**
 * The librdkafka subscription for a checked pattern: its own text when it starts with "^",
 * otherwise "^.*(...)", which searches names exactly as the unanchored RegExp does.
 */
export function librdkafkaPattern(re: RegExp): string {
  return re.source.startsWith('^') ? re.source : `^.*(${re.source})`
}
