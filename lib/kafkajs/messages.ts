// Messages between kafkajs's shapes and turbokafka's. Produced: the same values and keys (Buffers
// are not copied), headers as pairs (a kafkajs header holding an array becomes one pair per
// element), timestamps as numbers. Consumed: offsets and timestamps as strings, headers as an
// object whose repeated names hold arrays, as kafkajs hands them over.
import type { IHeaders, KafkaMessage, Message as KafkajsMessage } from 'kafkajs'

import type { ConsumedMessage, Message } from '../types'

function headersOf(h: IHeaders | undefined): Array<[string, Buffer | string]> | undefined {
  if (h === undefined) return undefined
  const out: Array<[string, Buffer | string]> = []
  for (const [name, v] of Object.entries(h)) {
    if (v === undefined) continue
    for (const one of Array.isArray(v) ? v : [v]) out.push([name, one])
  }
  return out
}

export function toMessage(m: KafkajsMessage): Message {
  // Without headers or a timestamp a kafkajs message already has turbokafka's shape.
  if (m.headers == null && m.timestamp == null && m.value !== undefined) return m as Message
  const out: Message = { value: m.value ?? null }
  if (m.key !== undefined && m.key !== null) out.key = m.key
  if (m.partition !== undefined && m.partition !== null) out.partition = m.partition
  const headers = headersOf(m.headers)
  if (headers !== undefined && headers.length > 0) out.headers = headers
  if (m.timestamp !== undefined && m.timestamp !== null) out.timestamp = Number(m.timestamp)
  return out
}

export function fromConsumed(m: ConsumedMessage): KafkaMessage {
  const headers: IHeaders = {}
  for (const [name, value] of m.headers) {
    const v = value ?? Buffer.alloc(0)
    const seen = headers[name]
    headers[name] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v]
  }
  return {
    key: m.key,
    value: m.value,
    timestamp: String(m.timestamp),
    attributes: 0,
    offset: String(m.offset),
    size: 0,
    headers,
  } as unknown as KafkaMessage
}
