// Preloaded (node --require) into every benchmarked process: at exit, writes the process's own
// resource usage (peak RSS, CPU time) as JSON to the file named by XSMIG_BENCH_USAGE.
'use strict';
const fs = require('node:fs');
const path = process.env.XSMIG_BENCH_USAGE;
if (path) {
  process.on('exit', (code) => {
    const u = process.resourceUsage();
    fs.writeFileSync(path, JSON.stringify({ maxRSSKiB: u.maxRSS, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, code }));
  });
}
