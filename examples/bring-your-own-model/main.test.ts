/**
 * The bring-your-own-model example on its tiny setting: the script trains LoRA adapters only (every weight of the
 * merged checkpoint outside q_proj / v_proj is the base model's), writes a PEFT adapter that loads back onto the base
 * model and a merged checkpoint equal to base + adapter, and runs as a script. Leaves out: learning (random model).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLoraAdapter, loadModel, mergeLora } from '@aha/core';
import { afterAll, describe, expect, it } from 'vitest';
import { bringYourOwnModel } from './main.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'aha-byom-example-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('examples/bring-your-own-model', () => {
  it('trains only the adapters, saves them in PEFT format and a merged checkpoint', async () => {
    const out = tmp();
    const r = await bringYourOwnModel({ outputDir: out, steps: 2 });
    expect(r.adapted).toHaveLength(4); // q_proj and v_proj of two layers
    expect(r.rewards).toHaveLength(2);
    const config = JSON.parse(readFileSync(join(r.adapterDir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] });
    const [base, merged, viaAdapter] = await Promise.all([
      loadModel(r.modelDir),
      loadModel(r.mergedDir),
      loadModel(r.modelDir),
    ]);
    await loadLoraAdapter(viaAdapter, r.adapterDir);
    mergeLora(viaAdapter);
    const b = base.stateDict();
    const a = viaAdapter.stateDict();
    for (const [name, t] of merged.stateDict()) {
      const w = t.toFloat32Array();
      if (!/q_proj|v_proj/.test(name)) expect(w, name).toEqual(b.get(name)!.toFloat32Array());
      const fromAdapter = a.get(name)!.toFloat32Array();
      for (let i = 0; i < w.length; i++) expect(Math.abs(w[i] - fromAdapter[i])).toBeLessThan(1e-5);
    }
  });

  it('runs as a script', () => {
    const out = tmp();
    const text = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', 'examples/bring-your-own-model/main.ts', '--out', out, '--steps', '1'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(text).toContain('LoRA on 4 modules');
    expect(text).toContain(`adapter (PEFT): ${join(out, 'adapter')}`);
  });
});
