// Argument checks and the limits they apply, for every public call and configuration key.
import { invalidArg } from './errors'

/** The largest 32-bit signed integer: librdkafka's int settings and Kafka's partition numbers. */
export const MAX_INT32 = 2 ** 31 - 1
/** The largest timeout librdkafka takes (an int of milliseconds). */
export const MAX_MS = MAX_INT32
/** The largest partition number Kafka can name (an int32). */
export const MAX_PARTITION = MAX_INT32

/** A short description of a value, for error messages (never the whole of a long string). */
export function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (Buffer.isBuffer(v)) return 'Buffer'
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`
  if (typeof v === 'number') return `number ${v}`
  return typeof v
}

/** `v` if it is an integer from `min` to `max`; otherwise `_INVALID_ARG` naming `name`. */
export function checkInt(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalidArg(`${name} must be an integer from ${min} to ${max} (got ${describe(v)})`)
  }
  return v
}
