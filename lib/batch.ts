// Turns produceBatch input into the flat arrays the native side reads in one call.
import { describe } from './config'
import { invalidArg } from './errors'
import type { Headers, Message, Payload, ProduceInput } from './types'

export interface PackedBatch {
  values: Array<Buffer | null>
  keys: Array<Buffer | null> | undefined
  partitions: Int32Array | undefined
  timestamps: Float64Array | undefined
  headers: Array<Array<string | Buffer | null> | undefined> | undefined
}

const MAX_PARTITION = 2 ** 31 - 1

function toBuffer(v: Payload, what: string, index: number): Buffer {
  if (Buffer.isBuffer(v)) return v
  if (typeof v === 'string') return Buffer.from(v, 'utf8')
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength) // a view, not a copy
  throw invalidArg(`messages[${index}]${what} must be a Buffer, Uint8Array or string (got ${describe(v)})`, { index })
}

function packHeaders(h: Headers, index: number): Array<string | Buffer | null> {
  const flat: Array<string | Buffer | null> = []
  const add = (name: unknown, value: unknown): void => {
    if (typeof name !== 'string') throw invalidArg(`messages[${index}].headers: names must be strings`, { index })
    if (value === undefined) return
    flat.push(name, value === null ? null : toBuffer(value as Payload, `.headers[${JSON.stringify(name)}]`, index))
  }
  if (Array.isArray(h)) {
    for (const pair of h) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw invalidArg(`messages[${index}].headers: a list of headers holds [name, value] pairs`, { index })
      }
      add(pair[0], pair[1])
    }
  } else if (h !== null && typeof h === 'object') {
    for (const name of Object.keys(h)) add(name, h[name])
  } else {
    throw invalidArg(`messages[${index}].headers must be an object or a list of [name, value] pairs (got ${describe(h)})`, {
      index,
    })
  }
  return flat
}

/**
 * Validates and flattens one batch. A batch of Buffers only (the fast path) costs one array copy;
 * the copy protects the native side from the caller emptying the array while the batch is in
 * flight. Payload bytes are never copied.
 */
export function packBatch(messages: ReadonlyArray<ProduceInput>): PackedBatch {
  const n = messages.length
  let allBuffers = true
  for (let i = 0; i < n; i++) {
    if (!Buffer.isBuffer(messages[i])) {
      allBuffers = false
      break
    }
  }
  if (allBuffers) {
    return { values: messages.slice() as Buffer[], keys: undefined, partitions: undefined, timestamps: undefined, headers: undefined }
  }

  const values = new Array<Buffer | null>(n)
  let keys: Array<Buffer | null> | undefined
  let partitions: Int32Array | undefined
  let timestamps: Float64Array | undefined
  let headers: Array<Array<string | Buffer | null> | undefined> | undefined

  for (let i = 0; i < n; i++) {
    const m = messages[i]
    if (Buffer.isBuffer(m)) {
      values[i] = m
      continue
    }
    if (typeof m === 'string' || m instanceof Uint8Array) {
      values[i] = toBuffer(m, '', i)
      continue
    }
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      throw invalidArg(`messages[${i}] must be a Buffer, string or message object (got ${describe(m)})`, { index: i })
    }
    const msg = m as Message
    if (msg.value === undefined) {
      throw invalidArg(`messages[${i}].value is missing (use null for a tombstone)`, { index: i })
    }
    values[i] = msg.value === null ? null : toBuffer(msg.value, '.value', i)

    if (msg.key !== undefined && msg.key !== null) {
      keys ??= new Array<Buffer | null>(n).fill(null)
      keys[i] = toBuffer(msg.key, '.key', i)
    }
    if (msg.partition !== undefined) {
      const p = msg.partition
      if (!Number.isInteger(p) || p < 0 || p > MAX_PARTITION) {
        throw invalidArg(`messages[${i}].partition must be an integer from 0 to ${MAX_PARTITION} (got ${describe(p)})`, {
          index: i,
        })
      }
      if (partitions === undefined) {
        partitions = new Int32Array(n)
        partitions.fill(-1) // RD_KAFKA_PARTITION_UA: let the partitioner choose
      }
      partitions[i] = p
    }
    if (msg.timestamp !== undefined) {
      const t = msg.timestamp instanceof Date ? msg.timestamp.getTime() : msg.timestamp
      if (typeof t !== 'number' || !Number.isInteger(t) || t <= 0) {
        throw invalidArg(`messages[${i}].timestamp must be a positive integer of ms or a valid Date (got ${describe(t)})`, {
          index: i,
        })
      }
      timestamps ??= new Float64Array(n)
      timestamps[i] = t
    }
    if (msg.headers !== undefined) {
      headers ??= new Array(n)
      headers[i] = packHeaders(msg.headers, i)
    }
  }
  return { values, keys, partitions, timestamps, headers }
}
