// What the public clients (Producer, Consumer) share: the engine they hold, connect, close (once,
// however often it is called) and the closed state every other call checks.
import { EventEmitter } from 'node:events'

import { channels } from './channels'
import { tapEvents } from './emit'
import type { ClientEngine } from './engines/contract'
import { KafkaError, stateError } from './errors'
import type { Collected, MetricsOptions } from './metrics/catalog'
import { metricsText, register, type PromRegistry } from './metrics/exposition'
import { checkInt, MAX_MS } from './validate'

type EventMap<T> = Record<keyof T, unknown[]>

export abstract class Client<Events extends EventMap<Events>, E extends ClientEngine> extends EventEmitter<Events> {
  /** The engine, for the subclass's own calls; created once by the constructor's `create`. */
  protected readonly core: E
  readonly #kind: string
  #closing: Promise<void> | undefined
  readonly #unregister: Array<() => void> = []

  /** `kind` names the client in errors ("producer is closed"); `create` makes its engine. */
  protected constructor(kind: string, create: (events: EventEmitter) => E) {
    super()
    this.#kind = kind
    this.core = create(this as EventEmitter)
    tapEvents(this as EventEmitter, (event, args) => {
      if ((event === 'warning' || event === 'fatal') && channels.error.hasSubscribers)
        channels.error.publish({ client: this, event, error: args[0] })
      this.observe(event, args)
    })
  }

  /** Sees every event the engine emits, listeners or not (for metrics). */
  protected observe(_event: string, _args: readonly unknown[]): void {}

  /** Adds this client's samples to a scrape. */
  abstract collectMetrics(out: Collected, options: MetricsOptions): void

  /**
   * This client's metrics in the Prometheus text exposition format (docs/observability.md).
   * `partitions: true` gives per-partition series where a family has them (consumer lag).
   */
  metricsText(options: MetricsOptions = {}): string {
    return metricsText([this], options)
  }

  /**
   * Adds this client's metrics to a prom-client Registry: they are collected when the registry is
   * read (a scrape), never on a timer. Several clients may share one registry; close() takes this
   * one out.
   */
  registerMetrics(registry: PromRegistry, options: MetricsOptions = {}): void {
    this.checkOpen()
    this.#unregister.push(register(registry, this, options))
  }

  /** The engine this client runs on. */
  get engine(): 'native' | 'kafkajs' {
    return this.core.name
  }

  /**
   * Checks that a broker answers (a metadata request), failing fast with the reason when the
   * cluster cannot be reached. Optional: the clients connect by themselves.
   */
  async connect(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = checkInt('connect: timeoutMs', options.timeoutMs ?? 10_000, 0, MAX_MS)
    this.checkOpen()
    await this.core.connect(timeoutMs)
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** Closes the engine once; later calls return the same promise. */
  protected closeOnce(timeoutMs: number, minTimeoutMs: number): Promise<void> {
    if (this.#closing) return this.#closing
    try {
      checkInt('close: timeoutMs', timeoutMs, minTimeoutMs, MAX_MS)
    } catch (err) {
      return Promise.reject(err)
    }
    this.#closing = this.core.close(timeoutMs)
    for (const unregister of this.#unregister.splice(0)) unregister()
    return this.#closing
  }

  /** Throws `_STATE` once close() was called. */
  protected checkOpen(): void {
    if (this.#closing) throw stateError(`${this.#kind} is closed`)
  }

  /** Runs an engine call on an open client; whatever it throws becomes a KafkaError. */
  protected call<T>(fn: () => T): T {
    this.checkOpen()
    try {
      return fn()
    } catch (err) {
      throw KafkaError.from(err)
    }
  }

  /** The same for an asynchronous engine call. */
  protected async callAsync<T>(fn: () => Promise<T>): Promise<T> {
    this.checkOpen()
    try {
      return await fn()
    } catch (err) {
      throw KafkaError.from(err)
    }
  }
}
