import { describe, expect, it } from 'vitest'

import { KafkaError, PRESETS, Producer } from '../lib/index'
import { FETCH_QUEUE_BACKOFF_MS, resolveConsumerConfig, resolveProducerConfig } from '../lib/config'
import { fetchPacing } from '../lib/engines/native/consumer'
import { catchError } from './helpers'

describe('producer configuration', () => {
  it('defaults to the durable preset: idempotent, acks=all', () => {
    const c = resolveProducerConfig({ 'bootstrap.servers': '127.0.0.1:1' })
    expect(c.preset).toBe('durable')
    expect(c.librdkafka['enable.idempotence']).toBe('true')
    expect(c.librdkafka.acks).toBe('all')
  })

  it('applies a preset and lets explicit keys override it', () => {
    const c = resolveProducerConfig({ preset: 'throughput', 'linger.ms': 2, 'socket.nagle.disable': true })
    expect(c.librdkafka['linger.ms']).toBe('2')
    expect(c.librdkafka['batch.num.messages']).toBe(String(PRESETS.throughput['batch.num.messages']))
    expect(c.librdkafka['socket.nagle.disable']).toBe('true')
    expect(c.librdkafka.preset).toBeUndefined()
  })

  it('rejects values of the wrong type, naming the key', () => {
    for (const bad of [{ 'linger.ms': {} }, { 'linger.ms': NaN }, { acks: [1] }, { 'client.id': null }]) {
      const err = catchError(() => resolveProducerConfig(bad as never))
      expect(err).toBeInstanceOf(KafkaError)
      expect(err.code).toBe('_INVALID_ARG')
      expect(err.key).toBe(Object.keys(bad)[0])
    }
  })

  it('rejects an unknown preset and a bad exitFlushTimeoutMs', () => {
    expect(catchError(() => resolveProducerConfig({ preset: 'fast' as never })).key).toBe('preset')
    expect(catchError(() => resolveProducerConfig({ exitFlushTimeoutMs: -1 })).key).toBe('exitFlushTimeoutMs')
    expect(catchError(() => resolveProducerConfig('x' as never)).code).toBe('_INVALID_ARG')
  })

  it('explains acks that contradict the idempotent default instead of a bare librdkafka refusal', () => {
    const err = catchError(() => resolveProducerConfig({ acks: 1 }))
    expect(err.key).toBe('acks')
    expect(err.message).toMatch(/durable/)
    // Explicitly turning idempotence off makes acks=1 fine.
    expect(resolveProducerConfig({ acks: 1, 'enable.idempotence': false }).librdkafka.acks).toBe('1')
  })

  it('fails at construction on a key librdkafka does not know, naming it', () => {
    const err = catchError(() => new Producer({ 'bootstrap.servers': '127.0.0.1:1', 'no.such.setting': 'x' }))
    expect(err).toBeInstanceOf(KafkaError)
    expect(err.code).toBe('_INVALID_ARG')
    expect(err.key).toBe('no.such.setting')
    expect(err.message).toContain('no.such.setting')
  })

  it('fails at construction on a value librdkafka refuses, naming the key', () => {
    const err = catchError(() => new Producer({ 'bootstrap.servers': '127.0.0.1:1', 'compression.type': 'rar' }))
    expect(err.code).toBe('_INVALID_ARG')
    expect(err.key).toBe('compression.type')
  })

  it('fails at construction on combinations librdkafka refuses', () => {
    const err = catchError(
      () => new Producer({ 'bootstrap.servers': '127.0.0.1:1', 'enable.idempotence': true, acks: 1 }),
    )
    expect(err.code).toBe('_INVALID_ARG')
    expect(err.message).toMatch(/acks/)
  })
})

describe('consumer configuration', () => {
  it("keeps librdkafka's fetch thresholds on either engine", () => {
    expect(resolveConsumerConfig({ 'group.id': 'g' }).librdkafka['queued.min.messages']).toBeUndefined()
    expect(
      resolveConsumerConfig({ 'group.id': 'g', 'queued.min.messages': 5000 }).librdkafka['queued.min.messages'],
    ).toBe('5000')
  })

  it('requires a group id', () => {
    expect(() => resolveConsumerConfig({} as never)).toThrow(/group id/)
  })
})

describe('native consumer defaults', () => {
  it('shortens fetch.queue.backoff.ms on librdkafka >= 2.2, raises queued.min.messages before, and leaves what the application set', () => {
    expect(fetchPacing('2.15.1', {})).toEqual({ 'fetch.queue.backoff.ms': String(FETCH_QUEUE_BACKOFF_MS) })
    expect(fetchPacing('2.2.0', { 'fetch.queue.backoff.ms': '500' })).toEqual({})
    expect(fetchPacing('2.0.2', {})).toEqual({ 'queued.min.messages': '1000000' })
    expect(fetchPacing('2.0.2', { 'queued.min.messages': '5000' })).toEqual({})
    expect(fetchPacing('1.9.2', { 'fetch.queue.backoff.ms': '500' })).toEqual({ 'queued.min.messages': '1000000' })
  })
})
