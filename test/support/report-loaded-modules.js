'use strict';
// Preloaded into a server under test (`node -r`): when the process exits, writes every CommonJS
// module it loaded, with the module that first required it, as JSON to LOADED_MODULES_FILE.
const { writeFileSync } = require('node:fs');

process.once('exit', () => {
  const file = process.env.LOADED_MODULES_FILE;
  if (!file) return;
  // `module.parent` is deprecated (documentation only) but still the one record of who loaded a module
  const modules = Object.values(require.cache).map((m) => ({ id: m.id, parent: m.parent ? m.parent.id : null }));
  writeFileSync(file, JSON.stringify(modules));
});
