// Tracing hooks on node:diagnostics_channel (docs/observability.md lists the names and payloads).
// Every publish is guarded by hasSubscribers, so a process that does not subscribe pays one
// property read per batch.
import diagnostics from 'node:diagnostics_channel'

export const CHANNELS = {
  /** Before a batch is packed: subscribers may still add headers to its message objects. */
  produceStart: 'turbokafka:producer:batch:start',
  /** The same payload once the batch settled, with `report` (or `error` when it was refused). */
  produceEnd: 'turbokafka:producer:batch:end',
  consumeBatch: 'turbokafka:consumer:batch',
  commit: 'turbokafka:consumer:commit',
  rebalance: 'turbokafka:consumer:rebalance',
  /** `warning` and `fatal` events of every client. */
  error: 'turbokafka:client:error',
} as const

export const channels = {
  produceStart: diagnostics.channel(CHANNELS.produceStart),
  produceEnd: diagnostics.channel(CHANNELS.produceEnd),
  consumeBatch: diagnostics.channel(CHANNELS.consumeBatch),
  commit: diagnostics.channel(CHANNELS.commit),
  rebalance: diagnostics.channel(CHANNELS.rebalance),
  error: diagnostics.channel(CHANNELS.error),
}
