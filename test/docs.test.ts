// The documents' links and the results behind their figures (docs/testing.md, "Every figure names its run").
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { refresh } = require('../bench/report.js') as {
  refresh(text: string, root: string): { text: string; stale: string[] }
}

const root = path.join(__dirname, '..')
const documents = [
  'README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
]

/** Local link targets of a markdown file, resolved from its folder (anchors and web links left out). */
function localLinks(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8')
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!.split('#')[0]!)
  return targets
    .filter((t) => t.length > 0 && !/^[a-z]+:/.test(t))
    .map((t) => path.relative(root, path.join(root, path.dirname(file), t)))
}

describe('documents', () => {
  it('link only to files that exist', () => {
    const broken = documents.flatMap((file) =>
      localLinks(file)
        .filter((t) => !existsSync(path.join(root, t)))
        .map((t) => `${file} -> ${t}`),
    )
    expect(broken).toEqual([])
  })

  it('cite every committed result file', () => {
    const text = documents.map((file) => readFileSync(path.join(root, file), 'utf8')).join('\n')
    const results = readdirSync(path.join(root, 'docs', 'results'))
    expect(results.length).toBeGreaterThan(0)
    expect(results.filter((f) => !text.includes(`results/${f}`))).toEqual([])
  })

  it("show the README's result tables as bench/report.js makes them from their JSON (npm run bench:report)", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
    const { stale } = refresh(readme, root)
    expect(stale).toEqual([])
    expect(readme.match(/<!-- table: /g)?.length).toBeGreaterThanOrEqual(11)
    // A table edited by hand is caught.
    expect(
      refresh(
        readme.replace(
          /\| C librdkafka, producev per message \| 100 B \| [\d,]+/,
          '| C librdkafka, producev per message | 100 B | 1',
        ),
        root,
      ).stale,
    ).not.toEqual([])
  })
})
