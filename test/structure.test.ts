// The shape of lib/ (docs/architecture.md, "Layout"): no import cycles, and the engines below
// the public classes (an engine imports the contract and shared modules, never a class).
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { describe, expect, it } from 'vitest'

import { NULL_VALUE } from '../lib/batch'
import { binding } from '../lib/binding'
import { EVENT_KIND, META } from '../lib/engines/native/layout'

const lib = path.join(__dirname, '..', 'lib')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : []
  })
}

/** Each file's local imports (type-only ones too: they tie the files just the same), as files. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sources(lib)) {
    const text = readFileSync(file, 'utf8')
    const specs = [...text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!)
    const targets = specs.map((s) => {
      const base = path.resolve(path.dirname(file), s)
      for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
        if (candidate.endsWith('.ts') && sources(path.dirname(candidate)).includes(candidate)) return candidate
      }
      throw new Error(`${path.relative(lib, file)} imports ${s}, which is not a file of lib/`)
    })
    graph.set(file, [...new Set(targets)])
  }
  return graph
}

/** Every cycle, each once, as a list of files relative to lib/. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>()
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (f: string) => {
    state.set(f, 'open')
    stack.push(f)
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') {
        const cycle = stack.slice(stack.indexOf(t)).map((x) => path.relative(lib, x))
        found.set([...cycle].sort().join(' '), cycle)
      } else if (!state.has(t)) visit(t)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of graph.keys()) if (!state.has(f)) visit(f)
  return [...found.values()]
}

describe('lib/ structure', () => {
  const graph = importGraph()

  it('has no import cycle', () => {
    expect(cycles(graph)).toEqual([])
    // The detector finds one when there is one.
    const a = path.join(lib, 'a.ts')
    const b = path.join(lib, 'b.ts')
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts']])
  })

  it('keeps the engines below the public classes', () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      path.relative(lib, file).startsWith('engines/')
        ? targets
            .filter((t) =>
              ['producer.ts', 'consumer.ts', 'mock-cluster.ts', 'index.ts'].includes(path.relative(lib, t)),
            )
            .map((t) => `${path.relative(lib, file)} -> ${path.relative(lib, t)}`)
        : [],
    )
    expect(upward).toEqual([])
  })
})

describe('array layouts shared with the addon', () => {
  it('name the same numbers in native/layout.h and TypeScript', () => {
    const layouts = binding().layouts()
    expect(layouts.consumedMeta).toEqual(META)
    expect(layouts.eventKind).toEqual(EVENT_KIND)
    expect(layouts.nullValue).toBe(NULL_VALUE)
  })
})

/**
 * The functions of a C++ file with their lengths in lines: a block whose opening `{` follows a
 * parenthesis and sits directly in a namespace or class (comments and literals blanked first).
 */
function cppFunctions(text: string): Array<{ line: number; lines: number; head: string }> {
  const src = text
    .replace(/\/\/[^\n]*/g, '')
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''")
  const open: Array<{ kind: 'scope' | 'fn' | 'block'; line: number; head: string }> = []
  const found: Array<{ line: number; lines: number; head: string }> = []
  let line = 1
  let headStart = 0
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]
    if (ch === '\n') line++
    else if (ch === ';') headStart = i + 1
    else if (ch === '{') {
      const head = src.slice(headStart, i)
      const inScope = open.every((o) => o.kind === 'scope')
      const kind =
        /\b(namespace|class|struct|enum)\b/.test(head) && !head.includes('(')
          ? 'scope'
          : inScope && head.includes('(')
            ? 'fn'
            : 'block'
      open.push({ kind, line, head: head.trim().split('\n')[0]! })
      headStart = i + 1
    } else if (ch === '}') {
      const o = open.pop()
      if (o?.kind === 'fn') found.push({ line: o.line, lines: line - o.line, head: o.head })
      headStart = i + 1
    }
  }
  return found
}

describe('native/ functions', () => {
  it('are found by the length check (it reads the addon, not nothing)', () => {
    const fns = cppFunctions(readFileSync(path.join(__dirname, '..', 'native', 'producer.cc'), 'utf8'))
    expect(fns.map((f) => f.head).some((h) => h.includes('Producer::ProduceBatch'))).toBe(true)
    expect(cppFunctions('namespace a {\nvoid f() {\n  if (x) {\n  }\n}\n}\n')).toEqual([
      { line: 2, lines: 3, head: 'void f()' },
    ])
  })

  it('are at most 60 lines each', () => {
    const dir = path.join(__dirname, '..', 'native')
    const long = readdirSync(dir)
      .filter((f) => /\.(cc|h)$/.test(f))
      .flatMap((f) => cppFunctions(readFileSync(path.join(dir, f), 'utf8')).map((fn) => ({ file: f, ...fn })))
      .filter((fn) => fn.lines > 60)
      .map((fn) => `${fn.file}:${fn.line} ${fn.head} (${fn.lines} lines)`)
    expect(long).toEqual([])
  })
})
