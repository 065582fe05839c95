// The layouts of the arrays the addon hands over in bulk (native/layout.h names the same numbers;
// test/structure.test.ts checks them against the addon's layouts()).

/** Column of each field in a consumed batch's `meta` rows, and the row width. */
export const META = {
  partition: 0,
  offset: 1,
  timestamp: 2,
  valueAt: 3,
  valueLen: 4,
  keyAt: 5,
  keyLen: 6,
  topic: 7,
  headers: 8,
  width: 9,
} as const

/** The kind of a consumed batch's event row `[kind, a, b]`. */
export const EVENT_KIND = { error: 0, commitError: 1, log: 2, stats: 3 } as const
