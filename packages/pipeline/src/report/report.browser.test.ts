// Opens a generated report in a real headless Chromium (Debian's /usr/bin/chromium via playwright-core) and checks
// that every chart drew its lines: canvas pixels in each series colour, no script errors, no network, no injection.
// Skips, with a message, where Chromium is not installed (tools/ci/install-chromium.sh installs it).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticRun, toJsonl } from './__fixtures__/synthetic-run.js';
import { writeReport } from './write.js';

const CHROMIUM = process.env.AHA_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) {
  console.warn(`report browser test SKIPPED: ${CHROMIUM} not found (install it with tools/ci/install-chromium.sh)`);
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// The few DOM types the in-page code uses (the repo compiles without lib "dom"); module-scoped, not global.
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
interface FigureLike {
  dataset: Record<string, string | undefined>;
  querySelectorAll(selector: 'canvas'): Iterable<CanvasLike>;
}
declare const document: { querySelectorAll(selector: string): Iterable<FigureLike> };
declare const window: { __pwned?: number };

interface ChartPixels {
  id: string;
  opaque: number;
  perColor: number[];
}

describe.skipIf(!available)('report in a real browser', () => {
  let work: string;
  let context: BrowserContext;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'aha-report-browser-'));
    // A fresh profile per run: Playwright takes it as userDataDir (it refuses --user-data-dir in args).
    context = await chromium.launchPersistentContext(join(work, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
  });

  afterAll(async () => {
    await context?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('draws every chart, runs no injected markup and loads nothing from the network', async () => {
    const run = join(work, 'run');
    mkdirSync(run);
    writeFileSync(join(run, 'metrics.jsonl'), toJsonl(syntheticRun(60)));
    // Held-out greedy accuracy before, during and after training, and a risk-control table, as the recipes pass them.
    const report = writeReport(run, undefined, {
      heldOut: [
        { step: 0, accuracy: 0.05 },
        { step: 30, accuracy: 0.35 },
        { step: 60, accuracy: 0.6 },
      ],
      riskControl: [
        { stage: 'rejection-sft', data: 'general', mode: 'flag', checked: 300, blocked: 88, dropped: 0, flagged: 88 },
      ],
    });
    expect(report.charts).toContain('heldout-accuracy');

    const requests: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(report.file).href);
    await page.waitForSelector('body[data-charts-rendered]');

    const pixels: ChartPixels[] = await page.evaluate(() => {
      const hex = (c: string) =>
        [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16)) as [number, number, number];
      return [...document.querySelectorAll('[data-chart]')].map((fig) => {
        const colors = (fig.dataset.seriesColors ?? '').split(' ').filter(Boolean).map(hex);
        const perColor = colors.map(() => 0);
        let opaque = 0;
        for (const canvas of fig.querySelectorAll('canvas')) {
          const ctx = canvas.getContext('2d')!;
          const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] === 0) continue;
            opaque++;
            colors.forEach(([r, g, b], k) => {
              if (
                data[i + 3] > 200 &&
                Math.abs(data[i] - r) < 12 &&
                Math.abs(data[i + 1] - g) < 12 &&
                Math.abs(data[i + 2] - b) < 12
              ) {
                perColor[k]++;
              }
            });
          }
        }
        return { id: fig.dataset.chart!, opaque, perColor };
      });
    });

    const rendered = await page.$$eval('[data-chart][data-rendered="true"]', (els) => els.map((e) => e.dataset.chart));
    expect(rendered.sort()).toEqual([...report.charts].sort());
    expect(pixels.map((p) => p.id).sort()).toEqual([...report.charts].sort());
    for (const chart of pixels) {
      expect(chart.opaque, `${chart.id}: canvas is blank`).toBeGreaterThan(2000);
      // Every line of the chart shows up in its colour (the reflection words overlap near zero early on, so there
      // at least most of the ten must be visible).
      const visible = chart.perColor.filter((n) => n >= 20).length;
      const needed = chart.id === 'reflection' ? 6 : chart.perColor.length;
      expect(visible, `${chart.id}: series pixels ${chart.perColor.join(',')}`).toBeGreaterThanOrEqual(needed);
    }

    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await page.locator('[data-sample]').count()).toBeGreaterThan(0);
    // Every sample carries the explicit AI-generated label, and the open step shows it.
    expect(await page.locator('[data-sample] [data-aigc="explicit"]').count()).toBe(
      await page.locator('[data-sample]').count(),
    );
    expect(await page.locator('details[open] [data-aigc="explicit"]').first().isVisible()).toBe(true);
    expect(await page.locator('details[open] [data-aigc="explicit"]').first().textContent()).toContain('AI-generated');
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);

    // Kept after the run (overwritten next time) so a person can look at what the test saw.
    const shotDir = process.env.AHA_REPORT_SCREENSHOT_DIR ?? join(tmpdir(), 'aha-report-browser');
    mkdirSync(shotDir, { recursive: true });
    const shot = join(shotDir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    await page.close();
  });
});
