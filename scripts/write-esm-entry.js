#!/usr/bin/env node
// Writes the ES module entry (dist/esm) as a thin layer over the CommonJS build, so `import` and
// `require` share one instance of every class (no dual-package hazard).
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const cjs = require(path.join(root, 'dist/cjs/index.js'))
const names = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule')
const out = path.join(root, 'dist/esm')
fs.mkdirSync(out, { recursive: true })
fs.writeFileSync(
  path.join(out, 'index.mjs'),
  `import cjs from '../cjs/index.js'\n\nexport const { ${names.join(', ')} } = cjs\nexport default cjs\n`,
)
fs.writeFileSync(path.join(out, 'index.d.mts'), `export * from '../cjs/index.js'\n`)
