// The engine contract (test/contract.ts) for engine kafkajs, against the mock cluster.
import { mockContract } from './contract'

mockContract('kafkajs')
