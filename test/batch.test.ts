import { describe, expect, it } from 'vitest'

import { batchValues, flattenPacked, packBatch, type FlatBatch } from '../lib/batch'
import { KafkaError } from '../lib/index'

function rejects(messages: unknown[]): KafkaError {
  try {
    packBatch(messages as never)
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaError)
    return e as KafkaError
  }
  throw new Error('expected packBatch to throw')
}

/** The bytes the native side will read for message i of a batch. */
function valueAt(batch: FlatBatch, i: number): Buffer | null {
  return batchValues(batch, i + 1)[i]!
}

describe('packBatch', () => {
  it('describes Buffers as views into their ArrayBuffers, without copying payloads', () => {
    const pooled = [Buffer.from('alpha'), Buffer.from('beta')] // Node's pool: one ArrayBuffer
    const own = Buffer.allocUnsafeSlow(300).fill('z')
    const packed = packBatch([...pooled, own])
    const buffers = packed.values as ArrayBuffer[]
    expect(buffers).toHaveLength(2)
    expect(buffers[0]).toBe(pooled[0]!.buffer)
    expect(buffers[1]).toBe(own.buffer)
    expect(valueAt(packed, 0)!.toString()).toBe('alpha')
    expect(valueAt(packed, 1)!.toString()).toBe('beta')
    expect(valueAt(packed, 2)!.equals(own)).toBe(true)
    expect(packed.keys).toBeUndefined()
    expect(packed.partitions).toBeUndefined()
  })

  it('encodes strings as UTF-8 and wraps Uint8Array without copying', () => {
    const u8 = new Uint8Array([1, 2, 3])
    const packed = packBatch(['héllo', u8])
    expect(valueAt(packed, 0)!.toString('utf8')).toBe('héllo')
    expect((packed.values as ArrayBuffer[]).includes(u8.buffer as ArrayBuffer)).toBe(true)
    expect(Array.from(valueAt(packed, 1)!)).toEqual([1, 2, 3])
  })

  it('flattens keys, partitions, timestamps and headers only where used', () => {
    const t = new Date(1_700_000_000_000)
    const packed = packBatch([
      { value: 'v0', key: 'k0', partition: 2 },
      { value: null, timestamp: t, headers: { a: 'x', b: null } },
      {
        value: 'v2',
        headers: [
          ['dup', 'one'],
          ['dup', 'two'],
        ],
      },
    ])
    expect(valueAt(packed, 1)).toBeNull()
    expect(valueAt(packed, 2)!.toString()).toBe('v2')
    expect(packed.keys![0]!.toString()).toBe('k0')
    expect(packed.keys![1]).toBeNull()
    expect(Array.from(packed.partitions!)).toEqual([2, -1, -1])
    expect(Array.from(packed.timestamps!)).toEqual([0, t.getTime(), 0])
    expect(packed.headers![0]).toBeUndefined()
    expect(packed.headers![1]).toEqual(['a', Buffer.from('x'), 'b', null])
    expect(packed.headers![2]).toEqual(['dup', Buffer.from('one'), 'dup', Buffer.from('two')])
  })

  it('names the index of a bad value', () => {
    const e = rejects([Buffer.from('ok'), 42])
    expect(e.code).toBe('_INVALID_ARG')
    expect(e.index).toBe(1)
    expect(e.message).toContain('messages[1]')
    expect(rejects([{ value: 42 }]).message).toContain('messages[0].value')
    expect(rejects([{ value: 'x', key: {} }]).message).toContain('.key')
    expect(rejects([null]).index).toBe(0)
    expect(rejects([{ key: 'k' }]).message).toMatch(/tombstone/)
  })

  it('refuses Buffers over shared memory, which cannot be held without a copy', () => {
    const shared = Buffer.from(new SharedArrayBuffer(8))
    expect(rejects([shared]).message).toMatch(/SharedArrayBuffer/)
  })

  it('rejects bad partitions, timestamps and headers', () => {
    expect(rejects([{ value: 'x', partition: -1 }]).message).toContain('partition')
    expect(rejects([{ value: 'x', partition: 1.5 }]).message).toContain('partition')
    expect(rejects([{ value: 'x', timestamp: 'now' }]).message).toContain('timestamp')
    expect(rejects([{ value: 'x', timestamp: new Date('nope') }]).message).toContain('timestamp')
    expect(rejects([{ value: 'x', headers: 'h' }]).message).toContain('headers')
    expect(rejects([{ value: 'x', headers: { h: 5 } }]).message).toContain('headers')
    expect(rejects([{ value: 'x', headers: [['only-name']] }]).message).toContain('pairs')
  })
})

describe('flattenPacked', () => {
  it('accepts a Buffer with lengths as a typed array or a plain array', () => {
    const values = Buffer.from('aaabbc')
    expect(flattenPacked({ values, lengths: new Uint32Array([3, 2, 1]) }).count).toBe(3)
    const flat = flattenPacked({ values, lengths: [3, 2, 1], partitions: [0, -1, 1] })
    expect(Array.from(flat.layout)).toEqual([3, 2, 1])
    expect(Array.from(flat.partitions!)).toEqual([0, -1, 1])
    expect(flat.values).toBe(values)
  })

  it('rejects lengths beyond the Buffer and mismatched partitions', () => {
    const values = Buffer.from('abc')
    const err = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return e as KafkaError
      }
      throw new Error('expected an error')
    }
    expect(err(() => flattenPacked({ values, lengths: [2, 2] })).message).toMatch(/lengths add up/)
    expect(err(() => flattenPacked({ values, lengths: [1], partitions: [0, 1] })).message).toMatch(/partitions/)
    expect(err(() => flattenPacked({ values, lengths: [1.5] })).code).toBe('_INVALID_ARG')
    expect(err(() => flattenPacked({ values: 'abc' as never, lengths: [1] })).code).toBe('_INVALID_ARG')
  })
})
