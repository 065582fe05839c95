// The engine contract (test/contract.ts) for engine native, against the mock cluster.
import { mockContract } from './contract'

mockContract('native')
