import { describe, expect, it } from 'vitest'

import { packBatch } from '../lib/batch'
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

describe('packBatch', () => {
  it('passes an all-Buffer batch through as a copy of the array, payloads untouched', () => {
    const a = Buffer.from('a')
    const b = Buffer.from('b')
    const input = [a, b]
    const packed = packBatch(input)
    expect(packed.values).not.toBe(input)
    expect(packed.values[0]).toBe(a)
    expect(packed.values[1]).toBe(b)
    expect(packed.keys).toBeUndefined()
    expect(packed.partitions).toBeUndefined()
  })

  it('encodes strings as UTF-8 and wraps Uint8Array without copying', () => {
    const u8 = new Uint8Array([1, 2, 3])
    const packed = packBatch(['héllo', u8])
    expect(packed.values[0]!.toString('utf8')).toBe('héllo')
    expect(packed.values[1]!.buffer).toBe(u8.buffer)
  })

  it('flattens keys, partitions, timestamps and headers only where used', () => {
    const t = new Date(1_700_000_000_000)
    const packed = packBatch([
      { value: 'v0', key: 'k0', partition: 2 },
      { value: null, timestamp: t, headers: { a: 'x', b: null } },
      { value: 'v2', headers: [['dup', 'one'], ['dup', 'two']] },
    ])
    expect(packed.values[1]).toBeNull()
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
