// Lists the C++ sources for binding.gyp: src/*.cc and src/ops/*.cc, sorted so builds are reproducible.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const list = (dir) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.cc'))
    .sort()
    .map((f) => `${dir}/${f}`);
module.exports = [...list('src'), ...list('src/ops')].join(' ');
