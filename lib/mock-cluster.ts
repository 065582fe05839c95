import { binding, type NativeMockCluster } from './binding'
import { errnoOf, invalidArg, KafkaError, stateError } from './errors'
import { checkInt } from './validate'

export interface MockClusterOptions {
  /** Number of brokers, each listening on its own 127.0.0.1 port (default 1). */
  brokers?: number
  /**
   * How long a new consumer group (classic protocol) waits for more members before its first
   * assignment, as Kafka's `group.initial.rebalance.delay.ms` (librdkafka's default: 3000). 0 makes
   * tests that join groups quick. Needs librdkafka 2.12 or newer (the prebuilt binary has it).
   */
  groupInitialRebalanceDelayMs?: number
}

const MAX_DELAY_MS = 300_000

/**
 * librdkafka's embedded mock cluster: Kafka-protocol brokers on 127.0.0.1, in this process, no
 * JVM. For tests and benchmarks. It keeps only the newest few MB of each partition.
 */
export class MockCluster {
  #native: NativeMockCluster | undefined
  readonly #bootstrap: string
  readonly brokers: number

  private constructor(native: NativeMockCluster, brokers: number) {
    this.#native = native
    this.#bootstrap = native.bootstraps()
    this.brokers = brokers
  }

  /** Starts a cluster; topics are created on first use, or explicitly with createTopic. */
  static async start(options: MockClusterOptions = {}): Promise<MockCluster> {
    const brokers = checkInt('brokers', options.brokers ?? 1, 1, 64)
    const delay = options.groupInitialRebalanceDelayMs
    if (delay !== undefined) checkInt('groupInitialRebalanceDelayMs', delay, 0, MAX_DELAY_MS)
    let native: NativeMockCluster | undefined
    try {
      native = new (binding().MockCluster)(brokers)
      if (delay !== undefined) native.setGroupInitialRebalanceDelay(delay)
      return new MockCluster(native, brokers)
    } catch (err) {
      native?.close()
      throw KafkaError.from(err)
    }
  }

  /** `host:port,...` of every broker, for `bootstrap.servers`. */
  get bootstrapServers(): string {
    return this.#bootstrap
  }

  #live(): NativeMockCluster {
    if (this.#native === undefined) throw stateError('mock cluster is closed')
    return this.#native
  }

  async createTopic(name: string, partitions = 1, replicationFactor = 1): Promise<void> {
    if (typeof name !== 'string' || name.length === 0) throw invalidArg(`topic name must be a non-empty string`)
    checkInt('partitions', partitions, 1, 100_000)
    checkInt('replicationFactor', replicationFactor, 1, this.brokers)
    try {
      this.#live().createTopic(name, partitions, replicationFactor)
    } catch (err) {
      throw KafkaError.from(err)
    }
  }

  /** The broker stops accepting connections and drops the ones it has (ids start at 1). */
  setBrokerDown(id: number): void {
    this.#live().setBrokerDown(checkInt('broker id', id, 1, this.brokers))
  }

  setBrokerUp(id: number): void {
    this.#live().setBrokerUp(checkInt('broker id', id, 1, this.brokers))
  }

  /**
   * The next `codes.length` requests with Kafka API key `apiKey` (e.g. 0 for Produce) fail with
   * these errors, in order. Codes are librdkafka's names, e.g. `NOT_LEADER_FOR_PARTITION`.
   */
  pushRequestErrors(apiKey: number, codes: string[]): void {
    if (!Number.isInteger(apiKey) || apiKey < 0) throw invalidArg('apiKey must be a non-negative integer')
    const errnos = codes.map((c) => errnoOf(c, () => binding().errorCodes()))
    this.#live().pushRequestErrors(apiKey, Int32Array.from(errnos))
  }

  /**
   * Metadata requests report `code` for this topic, e.g. `UNKNOWN_TOPIC_OR_PART` to act like a
   * broker with automatic topic creation off; `null` clears it.
   */
  setTopicError(topic: string, code: string | null): void {
    if (typeof topic !== 'string' || topic.length === 0) throw invalidArg('topic must be a non-empty string')
    const errno = code === null ? 0 : errnoOf(code, () => binding().errorCodes())
    this.#live().setTopicError(topic, errno)
  }

  /** Stops every broker. Safe to call twice. */
  async close(): Promise<void> {
    const native = this.#native
    this.#native = undefined
    native?.close()
  }
}
