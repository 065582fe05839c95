// kafkajs's Kafka class over turbokafka: the same constructor and factory methods, each client on
// turbokafka's native engine. Log lines go to kafkajs's logCreator at kafkajs's levels.
import type { AdminConfig, ConsumerConfig, KafkaConfig, logCreator, ProducerConfig } from 'kafkajs'

import { kafkajs } from '../engine'
import type { LogEntry } from '../types'
import { CompatAdmin } from './admin'
import { clientSettings, type Settings } from './config'
import { CompatConsumer } from './consumer'
import { notSupported } from './errors'
import { CompatProducer } from './producer'

/** syslog levels (librdkafka's) as kafkajs's: 3 error, 4 warn, 6 info, 7 debug. */
function kafkajsLevel(syslog: number): number {
  const { logLevel } = kafkajs()
  if (syslog <= 3) return logLevel.ERROR
  if (syslog === 4) return logLevel.WARN
  if (syslog <= 6) return logLevel.INFO
  return logLevel.DEBUG
}

export class Kafka {
  readonly #settings: Settings
  readonly #log: ((namespace: string, e: LogEntry) => void) | undefined

  constructor(config: KafkaConfig) {
    this.#settings = clientSettings(config)
    const { logLevel } = kafkajs()
    const level = config.logLevel ?? logLevel.INFO
    const create: logCreator | undefined = config.logCreator
    if (create !== undefined && level > logLevel.NOTHING) {
      const write = create(level)
      this.#log = (namespace, e) => {
        const l = kafkajsLevel(e.level)
        if (l > level) return
        write({
          namespace,
          level: l,
          label: logLevel[l] ?? 'INFO',
          log: { timestamp: new Date().toISOString(), message: `${e.facility}: ${e.message}` },
        } as never)
      }
    }
  }

  producer(config?: ProducerConfig): CompatProducer {
    if (config?.transactionalId !== undefined)
      throw notSupported('producer transactionalId', 'use turbokafka’s Producer transactions')
    return new CompatProducer(this.#settings, config, this.#log)
  }

  consumer(config: ConsumerConfig): CompatConsumer {
    return new CompatConsumer(this.#settings, config, this.#log)
  }

  admin(config?: AdminConfig): CompatAdmin {
    if (config?.retry !== undefined) throw notSupported('admin retry', 'give retry to Kafka')
    return new CompatAdmin(this.#settings)
  }

  logger(): never {
    throw notSupported('kafka.logger()', 'pass logCreator to Kafka')
  }
}
