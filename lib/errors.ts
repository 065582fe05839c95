/**
 * Local codes turbokafka raises itself (bad input, state) or the kafkajs engine reports, in
 * librdkafka's numbering.
 */
const LOCAL_CODES: Record<string, number> = {
  _INVALID_ARG: -186,
  _STATE: -172,
  _TIMED_OUT: -185,
  _FAIL: -196,
  _DESTROY: -197,
  _TRANSPORT: -195,
  _MSG_TIMED_OUT: -192,
  _UNKNOWN_TOPIC: -188,
  _ALL_BROKERS_DOWN: -187,
  _SSL: -181,
  _NOT_IMPLEMENTED: -170,
  _AUTHENTICATION: -169,
  _NO_OFFSET: -168,
  _UNKNOWN_PARTITION: -190,
  _PURGE_QUEUE: -152,
}

export interface KafkaErrorOptions {
  /** librdkafka's name for the error, without the `RD_KAFKA_RESP_ERR_` prefix. */
  code: string
  /** librdkafka's numeric code (negative for local errors, Kafka protocol codes otherwise). */
  errno?: number
  retriable?: boolean
  fatal?: boolean
  /** A transaction's failure that needs abortTransaction() before the work can be retried. */
  abortable?: boolean
  cause?: unknown
}

/**
 * Every error turbokafka reports: bad input, configuration, delivery failures and client errors.
 *
 * `code` is librdkafka's error name without the `RD_KAFKA_RESP_ERR_` prefix, e.g.
 * `MSG_SIZE_TOO_LARGE` (from the broker) or `_MSG_TIMED_OUT` (local, leading underscore).
 */
export class KafkaError extends Error {
  readonly code: string
  readonly errno: number
  /** Retrying the same operation may succeed. */
  readonly retriable: boolean
  /** The client can no longer be used (e.g. an idempotence violation); create a new one. */
  readonly fatal: boolean
  /**
   * Transactions: the transaction cannot commit any more; call abortTransaction(), then retry
   * the work in a new transaction.
   */
  readonly abortable: boolean
  /** For bad input inside a batch: the index of the offending message. */
  index?: number
  /** For configuration errors: the offending key. */
  key?: string

  constructor(message: string, options: KafkaErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'KafkaError'
    this.code = options.code
    this.errno = options.errno ?? LOCAL_CODES[options.code] ?? -1
    this.retriable = options.retriable ?? false
    // librdkafka fails every message of a producer in a fatal state with _FATAL.
    this.fatal = options.fatal ?? options.code === '_FATAL'
    this.abortable = options.abortable ?? false
  }

  /** Turns an error thrown by the native side (or anything else) into a KafkaError. */
  static from(err: unknown): KafkaError {
    if (err instanceof KafkaError) return err
    if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
      const e = err as Error & {
        code: string
        errno?: number
        retriable?: boolean
        fatal?: boolean
        abortable?: boolean
        key?: string
      }
      const { code, errno, retriable, fatal, abortable } = e
      const out = new KafkaError(e.message, { code, errno, retriable, fatal, abortable })
      if (e.key !== undefined) out.key = e.key
      out.stack = e.stack
      return out
    }
    if (err instanceof TypeError) return invalidArg(err.message)
    return new KafkaError(String(err instanceof Error ? err.message : err), { code: '_FAIL', cause: err })
  }
}

/** A KafkaError for bad input (code `_INVALID_ARG`). */
export function invalidArg(message: string, extra?: { index?: number; key?: string }): KafkaError {
  const e = new KafkaError(message, { code: '_INVALID_ARG' })
  if (extra?.index !== undefined) e.index = extra.index
  if (extra?.key !== undefined) e.key = extra.key
  return e
}

export function stateError(message: string): KafkaError {
  return new KafkaError(message, { code: '_STATE' })
}

interface CodeInfo {
  name: string
  description: string
  retriable: boolean
}

type Rows = () => Array<[number, string, string, boolean]>
let byErrno: Map<number, CodeInfo> | undefined
let byName: Map<string, number> | undefined

function load(rows: Rows): void {
  if (byErrno !== undefined) return
  byErrno = new Map()
  byName = new Map()
  for (const [num, name, description, retriable] of rows()) {
    byErrno.set(num, { name, description, retriable })
    byName.set(name, num)
  }
}

/** librdkafka's description of an error number (its table is read once from the native side). */
export function describeErrno(errno: number, rows: Rows): CodeInfo {
  load(rows)
  return byErrno!.get(errno) ?? { name: `ERR_${errno}`, description: `error ${errno}`, retriable: false }
}

/** The number librdkafka uses for an error name such as `UNKNOWN_TOPIC_OR_PART`. */
export function errnoOf(code: string, rows: Rows): number {
  load(rows)
  const n = byName!.get(code)
  if (n === undefined) throw invalidArg(`unknown error code ${JSON.stringify(code)}`)
  return n
}
