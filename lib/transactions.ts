// A transactional producer's state: which calls are allowed when. librdkafka enforces the same
// rules, but a call in the wrong state fails here at once with `_STATE` and a message that says
// what to call instead.
import { KafkaError, stateError } from './errors'

/**
 * - `none`: not a transactional producer (no `transactional.id`).
 * - `uninitialized`: initTransactions() has not succeeded yet.
 * - `ready`: between transactions.
 * - `open`: inside beginTransaction() ... commit/abort.
 * - `ending`: a commit or abort is under way.
 * - `fatal`: fenced or otherwise unusable; close it and create a new producer.
 */
export type TransactionState = 'none' | 'uninitialized' | 'ready' | 'open' | 'ending' | 'fatal'

const WHAT_TO_DO: Record<TransactionState, string> = {
  none: "the producer is not transactional (set 'transactional.id')",
  uninitialized: 'call initTransactions() first',
  ready: 'call beginTransaction() first',
  open: 'a transaction is open: commit or abort it first',
  ending: 'a commit or abort is under way',
  fatal: 'the producer hit a fatal error: close it and create a new one',
}

export class Transactions {
  state: TransactionState

  constructor(transactional: boolean) {
    this.state = transactional ? 'uninitialized' : 'none'
  }

  /** Throws `_STATE` for `call` unless the state is one of `allowed`. */
  check(call: string, ...allowed: TransactionState[]): void {
    if (!allowed.includes(this.state)) throw stateError(`${call}: ${WHAT_TO_DO[this.state]}`)
  }

  /**
   * Runs `op` in state `ending` (for commit and abort) or as is, and moves to `done` when it
   * succeeds. On failure: `fatal` errors make the producer unusable; any other leaves the state
   * `back` (a commit that failed can be retried or aborted, an init retried).
   */
  async run(op: () => Promise<void>, done: TransactionState, back: TransactionState, ending = false): Promise<void> {
    if (ending) this.state = 'ending'
    try {
      await op()
      this.state = done
    } catch (err) {
      const e = KafkaError.from(err)
      this.state = e.fatal ? 'fatal' : back
      throw e
    }
  }
}
