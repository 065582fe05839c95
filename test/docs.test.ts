// The documents' links and the results behind their figures (docs/testing.md, "Every figure names its run").
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

const root = path.join(__dirname, '..')
const documents = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

/** Local link targets of a markdown file, resolved from its folder (anchors and web links left out). */
function localLinks(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8')
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!.split('#')[0]!)
  return targets.filter((t) => t.length > 0 && !/^[a-z]+:/.test(t)).map((t) => path.relative(root, path.join(root, path.dirname(file), t)))
}

describe('documents', () => {
  it('link only to files that exist', () => {
    const broken = documents.flatMap((file) => localLinks(file).filter((t) => !existsSync(path.join(root, t))).map((t) => `${file} -> ${t}`))
    expect(broken).toEqual([])
  })

  it('cite every committed result file', () => {
    const text = documents.map((file) => readFileSync(path.join(root, file), 'utf8')).join('\n')
    const results = readdirSync(path.join(root, 'docs', 'results'))
    expect(results.length).toBeGreaterThan(0)
    expect(results.filter((f) => !text.includes(`results/${f}`))).toEqual([])
  })
})
