// A consumer's health: how long since the application last polled (called consumeBatch), how
// long since a message came, how much of max.poll.interval.ms is left, and whether the group is
// stable; and the 'stall' signal, raised before the group would evict a member that stopped
// polling. A consumer that is idle (polling, with nothing to read) is healthy; one whose
// application stopped calling consumeBatch is not, whatever the topic holds.
import type { ConsumerMetrics } from './metrics/clients'

export interface HealthReport {
  /** Milliseconds since the application last called consumeBatch; -1 before the first call. */
  sincePollMs: number
  /** Milliseconds since consumeBatch last returned a message; -1 before the first message. */
  sinceMessageMs: number
  /** The consumer's `max.poll.interval.ms`. */
  maxPollIntervalMs: number
  /** What is left of it before the group evicts the member (negative once exceeded). */
  pollMarginMs: number
  /**
   * Subscribed: the group is joined with an assignment and no rebalance under way (librdkafka's
   * group state where its statistics say so). Assigned by hand: always true.
   */
  groupStable: boolean
  /** True while the application has not polled for `stallRatio` of max.poll.interval.ms. */
  stalled: boolean
}

export interface StallEvent {
  sincePollMs: number
  maxPollIntervalMs: number
  pollMarginMs: number
}

export class ConsumerHealth {
  readonly #metrics: ConsumerMetrics
  readonly #maxPollMs: number
  readonly #stallMs: number
  readonly #onStall: (e: StallEvent) => void
  #timer: NodeJS.Timeout | undefined
  /** The poll (metrics.lastPoll) a stall was last raised for: once per stall. */
  #raisedFor = -1
  #lastRebalance: 'assign' | 'revoke' | undefined

  constructor(metrics: ConsumerMetrics, maxPollMs: number, ratio: number, onStall: (e: StallEvent) => void) {
    this.#metrics = metrics
    this.#maxPollMs = Number.isFinite(maxPollMs) && maxPollMs > 0 ? maxPollMs : 300_000
    this.#stallMs = this.#maxPollMs * ratio
    this.#onStall = onStall
  }

  rebalanced(type: 'assign' | 'revoke'): void {
    this.#lastRebalance = type
  }

  /**
   * Starts the stall check (at subscribe or assign): an unreferenced timer, a tenth of the stall
   * threshold apart (at least 100 ms), so it never keeps the process alive.
   */
  watch(): void {
    if (this.#timer !== undefined) return
    if (this.#metrics.lastPoll === 0) this.#metrics.lastPoll = Date.now() // the clock starts at subscribe
    this.#timer = setInterval(() => this.#check(), Math.max(100, Math.floor(this.#stallMs / 10)))
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  #sincePoll(now: number): number {
    const m = this.#metrics
    if (m.polling > 0) return 0
    return m.lastPoll > 0 ? now - m.lastPoll : -1
  }

  #check(): void {
    const since = this.#sincePoll(Date.now())
    if (since < 0 || since < this.#stallMs || this.#raisedFor === this.#metrics.lastPoll) return
    this.#raisedFor = this.#metrics.lastPoll
    this.#onStall({ sincePollMs: since, maxPollIntervalMs: this.#maxPollMs, pollMarginMs: this.#maxPollMs - since })
  }

  report(source: string): HealthReport {
    const now = Date.now()
    const m = this.#metrics
    const sincePollMs = this.#sincePoll(now)
    return {
      sincePollMs,
      sinceMessageMs: m.lastMessage > 0 ? now - m.lastMessage : -1,
      maxPollIntervalMs: this.#maxPollMs,
      pollMarginMs: this.#maxPollMs - Math.max(0, sincePollMs),
      groupStable: source === 'assign' || (source === 'subscribe' && this.#groupStable()),
      stalled: sincePollMs >= this.#stallMs,
    }
  }

  #groupStable(): boolean {
    // librdkafka's own view where its statistics have one (native engine; as of the last
    // statistics), else the last rebalance event.
    const cgrp = this.#metrics.statistics.last?.cgrp
    if (cgrp?.state !== undefined) return cgrp.state === 'up' && cgrp.join_state === 'steady'
    return this.#lastRebalance === 'assign'
  }
}
