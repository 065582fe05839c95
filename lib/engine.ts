// Picks the engine a client runs on: the native addon, or kafkajs when asked for or when the addon
// cannot load.
import { createRequire } from 'node:module'

import { bindingError } from './binding'
import type { Engine } from './config'
import { KafkaError } from './errors'

let warned = false

/**
 * `native` and `kafkajs` are taken as asked (`native` throws the loader's explanation if the
 * addon cannot load). `auto` is native when the addon loads, otherwise kafkajs, with one process
 * warning (code TURBOKAFKA_KAFKAJS_FALLBACK) naming the cause.
 */
export function resolveEngine(engine: Engine): 'native' | 'kafkajs' {
  if (engine === 'kafkajs') return 'kafkajs'
  const failure = bindingError()
  if (failure === undefined) return 'native'
  if (engine === 'native') {
    throw new KafkaError(failure.message, { code: '_FAIL', cause: failure.cause ?? failure })
  }
  if (!warned) {
    warned = true
    process.emitWarning(
      `${failure.message}\nUsing the kafkajs engine instead: same API, lower throughput (docs/engines.md). ` +
        `Fix the cause above to get the native engine back, or pass engine: 'kafkajs' to choose kafkajs explicitly.`,
      { type: 'TurbokafkaWarning', code: 'TURBOKAFKA_KAFKAJS_FALLBACK' },
    )
  }
  return 'kafkajs'
}

let kafkajsModule: typeof import('kafkajs') | undefined

/** kafkajs itself, loaded on first use so that native-only applications never load it. */
export function kafkajs(): typeof import('kafkajs') {
  try {
    kafkajsModule ??= createRequire(__filename)('kafkajs') as typeof import('kafkajs')
    return kafkajsModule
  } catch (err) {
    throw new KafkaError(
      `the kafkajs engine needs the kafkajs package, which did not load (${(err as Error).message}); ` +
        'reinstall turbokafka, whose dependency it is',
      { code: '_FAIL', cause: err },
    )
  }
}
