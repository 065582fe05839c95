// The Prometheus text exposition format (version 0.0.4) of a scrape, and the same families in a
// prom-client Registry, collected when the registry is read.
import { invalidArg } from '../errors'
import { FAMILIES, type Collected, type Family, type MetricsOptions, type MetricsSource, type Sample } from './catalog'

/** Gathers one scrape of every source. */
export function collect(sources: Iterable<MetricsSource>, options: MetricsOptions = {}): Collected {
  const out: Collected = new Map()
  for (const s of sources) s.collectMetrics(out, options)
  return out
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

function line(family: Family, sample: Sample): string {
  const pairs = Object.entries(sample.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
  const labels = pairs.length > 0 ? `{${pairs.join(',')}}` : ''
  return `${family.name}${sample.suffix ?? ''}${labels} ${formatValue(sample.value)}`
}

/** The text exposition of a scrape: every family that has samples, in catalog order. */
export function render(collected: Collected): string {
  const lines: string[] = []
  for (const family of FAMILIES) {
    const samples = collected.get(family.name)
    if (samples === undefined || samples.length === 0) continue
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`)
    lines.push(`# TYPE ${family.name} ${family.type}`)
    for (const s of samples) lines.push(line(family, s))
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : ''
}

/**
 * The metrics of several clients as one exposition (each family once, a series per client): what
 * a `/metrics` endpoint of a service with a producer and a consumer serves.
 */
export function metricsText(clients: ReadonlyArray<MetricsSource>, options: MetricsOptions = {}): string {
  if (!Array.isArray(clients) || clients.some((c) => typeof c?.collectMetrics !== 'function'))
    throw invalidArg('metricsText: expected an array of turbokafka clients')
  return render(collect(clients, options))
}

/** What this module needs of a prom-client Registry (prom-client 13 to 15). */
export interface PromRegistry {
  registerMetric(metric: object): void
  getSingleMetric(name: string): unknown
}

/** The sources of one registry, and the options they were registered with. */
interface Binding {
  sources: Set<MetricsSource>
  options: MetricsOptions
}

const bindings = new WeakMap<PromRegistry, Binding>()

/**
 * One object per family in the registry's own metric shape (name, help, type, get()): the registry
 * calls get() on every read, so nothing is computed between scrapes. One scrape serves every
 * family of a read through a cache that lives for the read's microtask turn.
 */
function familyMetric(family: Family, binding: Binding): object {
  return {
    name: family.name,
    help: family.help,
    type: family.type,
    aggregator: 'sum',
    get: () => {
      const samples = scrapeOf(binding).get(family.name) ?? []
      return {
        name: family.name,
        help: family.help,
        type: family.type,
        aggregator: 'sum',
        values: samples.map((s) => ({ labels: s.labels, value: s.value, metricName: family.name + (s.suffix ?? '') })),
      }
    },
    reset: () => {},
  }
}

const scrapes = new WeakMap<Binding, Collected>()

function scrapeOf(binding: Binding): Collected {
  let scrape = scrapes.get(binding)
  if (scrape === undefined) {
    scrape = collect(binding.sources, binding.options)
    scrapes.set(binding, scrape)
    queueMicrotask(() => scrapes.delete(binding))
  }
  return scrape
}

/**
 * Adds `source`'s metrics to a prom-client Registry. Every client registered with one registry
 * shares its families (a series per client); the first registration's options hold for all.
 * Returns the function that takes the client out again (its close() does).
 */
export function register(registry: PromRegistry, source: MetricsSource, options: MetricsOptions): () => void {
  if (
    registry === null ||
    typeof registry !== 'object' ||
    typeof registry.registerMetric !== 'function' ||
    typeof registry.getSingleMetric !== 'function'
  ) {
    throw invalidArg('registerMetrics: expected a prom-client Registry (e.g. new Registry() or register)')
  }
  let binding = bindings.get(registry)
  if (binding === undefined) {
    binding = { sources: new Set(), options: { ...options } }
    for (const family of FAMILIES) {
      if (registry.getSingleMetric(family.name) !== undefined)
        throw invalidArg(`registerMetrics: the registry already has a metric named ${family.name}`)
    }
    for (const family of FAMILIES) registry.registerMetric(familyMetric(family, binding))
    bindings.set(registry, binding)
  }
  const b = binding
  b.sources.add(source)
  return () => {
    b.sources.delete(source)
  }
}
