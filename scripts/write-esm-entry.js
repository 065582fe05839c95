#!/usr/bin/env node
// Writes the ES module entry (dist/esm) as a thin layer over the CommonJS build, so `import` and
// `require` share one instance of every class (no dual-package hazard).
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const out = path.join(root, 'dist/esm')
fs.mkdirSync(out, { recursive: true })

/** dist/esm/<name>.mjs and .d.mts over the CommonJS module `cjsPath` (relative to dist/). */
function entry(name, cjsPath) {
  const cjs = require(path.join(root, 'dist', cjsPath))
  const names = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule')
  const from = `../${cjsPath}`
  fs.writeFileSync(
    path.join(out, `${name}.mjs`),
    `import cjs from '${from}'\n\nexport const { ${names.join(', ')} } = cjs\nexport default cjs\n`,
  )
  fs.writeFileSync(path.join(out, `${name}.d.mts`), `export * from '${from}'\n`)
}

entry('index', 'cjs/index.js')
entry('kafkajs', 'cjs/kafkajs/index.js') // turbokafka/kafkajs
