// kafkajs's own error classes (kafkajs is a dependency), so that `instanceof KafkaJSProtocolError`
// and `error.type` checks in a kafkajs service keep working; turbokafka's KafkaError becomes the
// class kafkajs would have thrown, and stays reachable as `cause`.
import type * as Kafkajs from 'kafkajs'

import { kafkajs } from '../engine'
import { KafkaError } from '../errors'

type ErrorClasses = Pick<
  typeof Kafkajs,
  | 'KafkaJSError'
  | 'KafkaJSNonRetriableError'
  | 'KafkaJSProtocolError'
  | 'KafkaJSNumberOfRetriesExceeded'
  | 'KafkaJSConnectionError'
  | 'KafkaJSTimeout'
  | 'KafkaJSNotImplemented'
>

export function errorClasses(): ErrorClasses {
  return kafkajs() as unknown as ErrorClasses
}

/** kafkajs's table of Kafka protocol errors: `{ type, code, retriable, message }` by code. */
function protocolError(errno: number): Error {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
    createErrorFromCode: (code: number) => Error
  }
  return createErrorFromCode(errno)
}

/** A call kafkajs has that this layer cannot honour: thrown at once, naming it. */
export function notSupported(what: string, instead?: string): Error {
  const { KafkaJSNonRetriableError } = errorClasses()
  const e = new KafkaJSNonRetriableError(
    `turbokafka/kafkajs: ${what} is not supported${instead ? `; ${instead}` : ''} (docs/kafkajs-migration.md)`,
  )
  ;(e as { code?: string }).code = '_NOT_IMPLEMENTED'
  return e
}

/**
 * The kafkajs error for a turbokafka one: a Kafka protocol error as KafkaJSProtocolError with
 * kafkajs's `type` for its code; a timeout as KafkaJSTimeout; a connection failure as
 * KafkaJSConnectionError; what retrying could not cure as KafkaJSNumberOfRetriesExceeded; the
 * rest (bad input, a closed client) as KafkaJSNonRetriableError.
 */
export function toKafkajs(err: unknown): Error {
  const k = KafkaError.from(err)
  const c = errorClasses()
  let out: Error
  if (k.errno !== undefined && k.errno > 0) {
    out = protocolError(k.errno)
  } else if (k.code === '_TIMED_OUT' || k.code === '_MSG_TIMED_OUT') {
    out = new (c.KafkaJSTimeout as unknown as new (m: string) => Error)(k.message)
  } else if (k.code === '_TRANSPORT' || k.code === '_ALL_BROKERS_DOWN') {
    out = new c.KafkaJSConnectionError(k.message)
  } else if (k.retriable) {
    out = new c.KafkaJSNumberOfRetriesExceeded(k, { retryCount: 0, retryTime: 0 })
  } else {
    out = new c.KafkaJSNonRetriableError(k.message)
  }
  ;(out as { cause?: unknown }).cause = k
  return out
}
