'use strict';
// Preloaded into a server under test (`node -r`): writes every CommonJS module the process loaded,
// with the module that first required it, as JSON to LOADED_MODULES_FILE, when the process exits
// and, for a process that dies by a signal instead (Nest's shutdown hooks re-raise it), on SIGUSR2.
const { writeFileSync } = require('node:fs');

function report() {
  const file = process.env.LOADED_MODULES_FILE;
  if (!file) return;
  // `module.parent` is deprecated (documentation only) but still the one record of who loaded a module
  const modules = Object.values(require.cache).map((m) => ({ id: m.id, parent: m.parent ? m.parent.id : null }));
  writeFileSync(file, JSON.stringify(modules));
}

process.once('exit', report);
process.on('SIGUSR2', report);
