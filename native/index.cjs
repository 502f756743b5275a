// Loads the compiled addon and explains how to fix a failed load instead of surfacing a bare dlopen error.
'use strict';
const path = require('node:path');

function load() {
  const candidates = [
    path.join(__dirname, 'build', 'Release', 'aha_native.node'),
    path.join(__dirname, 'build', 'Debug', 'aha_native.node'),
  ];
  const errors = [];
  for (const file of candidates) {
    try {
      return require(file);
    } catch (err) {
      // The addon loaded but AHA_SIMD / AHA_DISABLE_SIMD asks for what this CPU cannot run: a settings error, not a
      // build problem.
      if (err?.message?.startsWith('@aha/native: AHA_')) {
        err.code = 'AHA_SIMD_UNSUPPORTED';
        throw err;
      }
      errors.push(`${file}: ${err?.message ? err.message.split('\n')[0] : err}`);
    }
  }
  const error = new Error(
    [
      '@aha/native: the compiled addon could not be loaded.',
      ...errors.map((e) => `  tried ${e}`),
      'Fix: build it with `npm rebuild @aha/native` (needs python3, make and a C++17 compiler; node-gyp builds',
      "against this Node's own headers, no download). Set AHA_SIMD=portable to force the portable kernels.",
    ].join('\n'),
  );
  error.code = 'AHA_NATIVE_LOAD_FAILED';
  throw error;
}

module.exports = load();
