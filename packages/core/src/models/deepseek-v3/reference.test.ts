/**
 * Logits against an independent reference: tools/reference/deepseek_v3_reference.py runs HF DeepseekV3ForCausalLM
 * semantics in float64 on the same checkpoints (f32 / bf16 / f16 files, q LoRA and q_proj, YaRN, tied embeddings,
 * attention biases, group-limited routing). We load the HF folder and compare logits and the expert choices.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../io/safetensors.js';
import { loadModel } from './model.js';
import { DeepseekV3MoE } from './moe.js';

const fixtures = ['tiny-qlora-f32', 'tiny-qproj-bf16', 'tiny-dense-tied-f16', 'tiny-yarn-mtp-bf16'];
const dirOf = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

describe.each(fixtures)('reference logits: %s', (name) => {
  it('match the float64 PyTorch reference within 1e-4, with the same routed experts', async () => {
    const dir = dirOf(name);
    const ref = JSON.parse(await readFile(`${dir}/reference.json`, 'utf8')) as {
      tokens: number[][];
      logits_shape: number[];
      routing: { layer: string; indices: number[][] }[];
    };
    const expected = (await readSafetensors(`${dir}/logits.safetensors`)).get('logits')!;
    const model = await loadModel(dir);
    model.eval();

    // Record the experts each MoE layer picks (wrap the router's forward).
    const picked = new Map<string, Int32Array>();
    model.model.decoderLayers.forEach((layer, i) => {
      if (!(layer.mlp instanceof DeepseekV3MoE)) return;
      const gate = layer.mlp.gate;
      const forward = gate.forward.bind(gate);
      gate.forward = (x) => {
        const out = forward(x);
        picked.set(`model.layers.${i}`, out.indices);
        return out;
      };
    });

    for (const impl of ['naive', 'absorb'] as const) {
      const logits = model.forward(ref.tokens, { impl });
      expect(logits.shape).toEqual(ref.logits_shape);
      const got = logits.values();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected.data[i]));
      expect(worst, `${impl}: max |Δlogit|`).toBeLessThan(1e-4);
    }
    for (const r of ref.routing) {
      expect(Array.from(picked.get(r.layer)!), r.layer).toEqual(r.indices.flat());
    }
  });
});
