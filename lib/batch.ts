// Turns produceBatch input into the flat arrays the native side reads in one call.
import { invalidArg } from './errors'
import type { Headers, Message, PackedMessages, Payload, ProduceInput } from './types'
import { describe, MAX_PARTITION } from './validate'

export interface FlatBatch {
  /**
   * Views layout: the distinct ArrayBuffers behind the values. Packed layout: one Buffer holding
   * every value. See native/producer.cc ProduceBatch.
   */
  values: ArrayBuffer[] | Buffer
  /** Views: (ArrayBuffer index, byte offset, length) per message. Packed: lengths. */
  layout: Uint32Array
  keys: Array<Buffer | null> | undefined
  partitions: Int32Array | undefined
  timestamps: Float64Array | undefined
  headers: Array<Array<string | Buffer | null> | undefined> | undefined
}

/**
 * The native side reads a batch's layout only during the produceBatch call, so one array serves
 * every batch: allocating a fresh 120 KB typed array per 10k-message batch cost ~18 ns a message.
 * A FlatBatch's layout is therefore only valid until the next packBatch call.
 */
let scratch = new Uint32Array(0)
function scratchLayout(length: number): Uint32Array {
  if (scratch.length < length) scratch = new Uint32Array(Math.max(length, scratch.length * 2))
  return scratch.subarray(0, length)
}
/** In the views layout, the ArrayBuffer index of a null value (a tombstone). */
export const NULL_VALUE = 0xffffffff

/**
 * Describes values as views into their ArrayBuffers, so the native side reads a handful of
 * ArrayBuffers instead of one N-API element per message (~95 ns each). Most small Buffers share
 * Node's pool, so the list of distinct ArrayBuffers stays short. Still zero-copy: the native
 * side keeps the ArrayBuffers alive and librdkafka reads them in place.
 */
class ViewsBuilder {
  readonly buffers: ArrayBuffer[] = []
  readonly layout: Uint32Array
  #index = new Map<ArrayBuffer, number>()
  #last: ArrayBuffer | undefined
  #lastIndex = 0

  constructor(n: number) {
    this.layout = scratchLayout(n * 3)
  }

  /** The index of `ab` in `buffers`, added if new; -1 for a SharedArrayBuffer. */
  indexOf(ab: ArrayBuffer): number {
    let idx = this.#index.get(ab)
    if (idx === undefined) {
      if (!(ab instanceof ArrayBuffer)) return -1
      idx = this.buffers.length
      this.buffers.push(ab)
      this.#index.set(ab, idx)
    }
    return idx
  }

  /** Returns false if `b` lives in a SharedArrayBuffer, which the views layout cannot carry. */
  set(i: number, b: Buffer | null): boolean {
    const at = 3 * i
    if (b === null) {
      this.layout[at] = NULL_VALUE
      return true
    }
    const ab = b.buffer as ArrayBuffer
    if (ab !== this.#last) {
      const idx = this.indexOf(ab)
      if (idx < 0) return false
      this.#last = ab
      this.#lastIndex = idx
    }
    this.layout[at] = this.#lastIndex
    this.layout[at + 1] = b.byteOffset
    this.layout[at + 2] = b.length
    return true
  }
}

function sharedMemoryError(index: number) {
  return invalidArg(
    `messages[${index}]: Buffers over a SharedArrayBuffer cannot be produced without a copy; copy it first`,
    {
      index,
    },
  )
}

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
    const got = describe(h)
    throw invalidArg(`messages[${index}].headers must be an object or a list of [name, value] pairs (got ${got})`, {
      index,
    })
  }
  return flat
}

function checkPartition(p: unknown, i: number): number {
  if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= MAX_PARTITION) return p
  const got = describe(p)
  throw invalidArg(`messages[${i}].partition must be an integer from 0 to ${MAX_PARTITION} (got ${got})`, { index: i })
}

function checkTimestamp(ts: unknown, i: number): number {
  const t = ts instanceof Date ? ts.getTime() : ts
  if (typeof t === 'number' && Number.isInteger(t) && t > 0) return t
  const got = describe(t)
  throw invalidArg(`messages[${i}].timestamp must be a positive integer of ms or a valid Date (got ${got})`, {
    index: i,
  })
}

/**
 * Validates and flattens one batch. A batch of Buffers only (the fast path) costs one array copy;
 * the copy protects the native side from the caller emptying the array while the batch is in
 * flight. Payload bytes are never copied.
 */
export function packBatch(messages: ReadonlyArray<ProduceInput>): FlatBatch {
  const n = messages.length
  const views = new ViewsBuilder(n)
  // Fast path: plain Buffers.
  let i = 0
  for (; i < n; i++) {
    const m = messages[i]
    if (!Buffer.isBuffer(m)) break
    if (!views.set(i, m)) throw sharedMemoryError(i)
  }
  if (i === n) return flatBatch(views)

  let keys: Array<Buffer | null> | undefined
  let partitions: Int32Array | undefined
  let timestamps: Float64Array | undefined
  let headers: Array<Array<string | Buffer | null> | undefined> | undefined

  const setValue = (index: number, b: Buffer | null): void => {
    if (!views.set(index, b)) throw sharedMemoryError(index)
  }
  for (; i < n; i++) {
    const m = messages[i]
    if (Buffer.isBuffer(m)) {
      setValue(i, m)
      continue
    }
    if (typeof m === 'string' || m instanceof Uint8Array) {
      setValue(i, toBuffer(m, '', i))
      continue
    }
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      throw invalidArg(`messages[${i}] must be a Buffer, string or message object (got ${describe(m)})`, { index: i })
    }
    const msg = m as Message
    if (msg.value === undefined) {
      throw invalidArg(`messages[${i}].value is missing (use null for a tombstone)`, { index: i })
    }
    setValue(i, msg.value === null ? null : toBuffer(msg.value, '.value', i))

    if (msg.key !== undefined && msg.key !== null) {
      keys ??= new Array<Buffer | null>(n).fill(null)
      keys[i] = toBuffer(msg.key, '.key', i)
    }
    if (msg.partition !== undefined) {
      if (partitions === undefined) {
        partitions = new Int32Array(n)
        partitions.fill(-1) // RD_KAFKA_PARTITION_UA: let the partitioner choose
      }
      partitions[i] = checkPartition(msg.partition, i)
    }
    if (msg.timestamp !== undefined) {
      timestamps ??= new Float64Array(n)
      timestamps[i] = checkTimestamp(msg.timestamp, i)
    }
    if (msg.headers !== undefined) {
      headers ??= new Array(n)
      headers[i] = packHeaders(msg.headers, i)
    }
  }
  return flatBatch(views, keys, partitions, timestamps, headers)
}

// Every FlatBatch has all six fields (absent ones undefined), so the native call sees one shape.
function flatBatch(
  views: ViewsBuilder,
  keys?: FlatBatch['keys'],
  partitions?: FlatBatch['partitions'],
  timestamps?: FlatBatch['timestamps'],
  headers?: FlatBatch['headers'],
): FlatBatch {
  return { values: views.buffers, layout: views.layout, keys, partitions, timestamps, headers }
}

/**
 * The values of a flat batch's first `count` messages, as views of the bytes the native side
 * reads (no copy): the one decoder of both layouts, for the kafkajs engine and the tests.
 */
export function batchValues(batch: FlatBatch, count: number): Array<Buffer | null> {
  const out = new Array<Buffer | null>(count)
  if (Array.isArray(batch.values)) {
    const buffers = batch.values
    for (let i = 0; i < count; i++) {
      const idx = batch.layout[3 * i]!
      out[i] = idx === NULL_VALUE ? null : Buffer.from(buffers[idx]!, batch.layout[3 * i + 1], batch.layout[3 * i + 2])
    }
    return out
  }
  let at = 0
  for (let i = 0; i < count; i++) {
    const len = batch.layout[i]!
    out[i] = batch.values.subarray(at, at + len)
    at += len
  }
  return out
}

/** The value bytes of a flat batch's first `count` messages (one pass over the layout). */
export function valueBytes(batch: FlatBatch, count: number): number {
  const layout = batch.layout
  let bytes = 0
  if (Array.isArray(batch.values)) {
    for (let i = 2; i < 3 * count; i += 3) bytes += layout[i]!
  } else {
    for (let i = 0; i < count; i++) bytes += layout[i]!
  }
  return bytes
}

export function isPacked(input: unknown): input is PackedMessages {
  return input !== null && typeof input === 'object' && !Array.isArray(input)
}

/** Validates the packed form. Returns the message count alongside the flat batch. */
export function flattenPacked(input: PackedMessages): FlatBatch & { count: number } {
  const { values } = input
  if (!Buffer.isBuffer(values)) throw invalidArg(`packed messages: values must be a Buffer (got ${describe(values)})`)
  const lengths = input.lengths instanceof Uint32Array ? input.lengths : toUint32(input.lengths)
  let total = 0
  for (let i = 0; i < lengths.length; i++) total += lengths[i]
  if (total > values.length) {
    throw invalidArg(`packed messages: lengths add up to ${total} bytes but values holds ${values.length}`)
  }
  let partitions: Int32Array | undefined
  if (input.partitions !== undefined) {
    partitions = input.partitions instanceof Int32Array ? input.partitions : Int32Array.from(input.partitions)
    if (partitions.length !== lengths.length) {
      throw invalidArg(`packed messages: ${partitions.length} partitions for ${lengths.length} messages`)
    }
    for (let i = 0; i < partitions.length; i++) {
      if (partitions[i] < -1) throw invalidArg(`packed messages: partitions[${i}] is ${partitions[i]}`, { index: i })
    }
  }
  return {
    values,
    layout: lengths,
    count: lengths.length,
    keys: undefined,
    partitions,
    timestamps: undefined,
    headers: undefined,
  }
}

function toUint32(lengths: unknown): Uint32Array {
  if (!Array.isArray(lengths))
    throw invalidArg(`packed messages: lengths must be a Uint32Array or an array of numbers (got ${describe(lengths)})`)
  const out = new Uint32Array(lengths.length)
  for (let i = 0; i < lengths.length; i++) {
    const n = lengths[i]
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw invalidArg(`packed messages: lengths[${i}] is ${describe(n)}`, { index: i })
    out[i] = n
  }
  return out
}
