// turbokafka/kafkajs: kafkajs's public API over turbokafka's native engine. A kafkajs service
// moves by changing require('kafkajs') to require('turbokafka/kafkajs'); docs/kafkajs-migration.md
// lists every option and call with what it does here.
import type * as Kafkajs from 'kafkajs'

import { kafkajs } from '../engine'

export { Kafka } from './kafka'
export type { CompatAdmin as Admin } from './admin'
export type { CompatConsumer as Consumer } from './consumer'
export type { CompatProducer as Producer } from './producer'

const lib = kafkajs()

export const logLevel: typeof Kafkajs.logLevel = lib.logLevel
export const CompressionTypes: typeof Kafkajs.CompressionTypes = lib.CompressionTypes
export const Partitioners: typeof Kafkajs.Partitioners = lib.Partitioners
export const PartitionAssigners: typeof Kafkajs.PartitionAssigners = lib.PartitionAssigners
export const ConfigResourceTypes: typeof Kafkajs.ConfigResourceTypes = lib.ConfigResourceTypes
export const {
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  KafkaJSOffsetOutOfRange,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
  KafkaJSTimeout,
  KafkaJSNotImplemented,
} = lib
export type {
  EachBatchPayload,
  EachMessagePayload,
  KafkaConfig,
  KafkaMessage,
  Message,
  ProducerRecord,
  RecordMetadata,
} from 'kafkajs'
