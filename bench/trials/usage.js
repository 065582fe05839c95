'use strict'
// CPU seconds (user + system) and peak RSS of this trial process.
exports.usage = (cpu) => ({
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
})
