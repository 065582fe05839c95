// kafkajs errors as KafkaErrors with librdkafka's codes, so an application's error handling does
// not depend on the engine.
import { PROTOCOL_NAMES, RETRIABLE_CODES } from '../../codes'
import { KafkaError } from '../../errors'

interface KafkajsErrorLike extends Error {
  name: string
  type?: string
  code?: number | string
  retriable?: boolean
  cause?: unknown
  errors?: unknown[]
}

/** Local (negative) librdkafka codes for kafkajs's own error classes. */
const BY_CLASS: Record<string, string> = {
  KafkaJSConnectionError: '_TRANSPORT',
  KafkaJSConnectionClosedError: '_TRANSPORT',
  KafkaJSNoBrokerAvailableError: '_ALL_BROKERS_DOWN',
  KafkaJSBrokerNotFound: '_TRANSPORT',
  KafkaJSRequestTimeoutError: '_TIMED_OUT',
  KafkaJSTimeout: '_TIMED_OUT',
  KafkaJSLockTimeout: '_TIMED_OUT',
  KafkaJSSASLAuthenticationError: '_AUTHENTICATION',
  KafkaJSTopicMetadataNotLoaded: '_UNKNOWN_TOPIC',
  KafkaJSNotImplemented: '_NOT_IMPLEMENTED',
  KafkaJSServerDoesNotSupportApiKey: '_NOT_IMPLEMENTED',
}

/** The error that says what went wrong: kafkajs wraps causes in retry and aggregate errors. */
function innermost(err: KafkajsErrorLike): KafkajsErrorLike {
  let e = err
  for (let depth = 0; depth < 8; depth++) {
    if (e.name === 'KafkaJSNumberOfRetriesExceeded' && e.cause instanceof Error) e = e.cause as KafkajsErrorLike
    else if (e.name === 'KafkaJSAggregateError' && Array.isArray(e.errors) && e.errors[0] instanceof Error) {
      e = e.errors[0] as KafkajsErrorLike
    } else break
  }
  return e
}

/** What every transactional call answers on the kafkajs engine. */
export function transactionsUnavailable(): KafkaError {
  return new KafkaError("transactions are not available on the kafkajs engine; use engine: 'native'", {
    code: '_NOT_IMPLEMENTED',
  })
}

/** A KafkaError for anything kafkajs threw: protocol errors keep Kafka's code under librdkafka's name. */
export function fromKafkajs(err: unknown): KafkaError {
  if (err instanceof KafkaError) return err
  if (!(err instanceof Error)) return new KafkaError(String(err), { code: '_FAIL', cause: err })
  const e = innermost(err as KafkajsErrorLike)
  if (typeof e.code === 'number' && e.code >= -1 && e.code + 1 < PROTOCOL_NAMES.length) {
    return new KafkaError(e.message, {
      code: PROTOCOL_NAMES[e.code + 1]!,
      errno: e.code,
      retriable: RETRIABLE_CODES.has(e.code),
      cause: err,
    })
  }
  const code = BY_CLASS[e.name]
  if (code !== undefined) return new KafkaError(e.message, { code, retriable: e.retriable ?? false, cause: err })
  return new KafkaError(e.message, { code: '_FAIL', retriable: e.retriable ?? false, cause: err })
}
