/**
 * The chart library inlined into the report: uPlot (MIT, ~50 kB minified IIFE, canvas line charts, no
 * dependencies). Read from node_modules at report time so the page needs no network and no CDN; the exact bytes of
 * the installed version go in, with its license banner.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: { js: string; css: string; version: string } | undefined;

/** uPlot's minified IIFE build (defines `window.uPlot`), its stylesheet and version. */
export function chartLibrary(): { js: string; css: string; version: string } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('uplot/package.json');
  const dist = join(dirname(pkgFile), 'dist');
  const version = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version;
  cached = {
    js: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
    version,
  };
  return cached;
}
