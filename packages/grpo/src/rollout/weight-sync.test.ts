import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { AhaError, applyLora, loadLoraAdapter, loadModel, loraAdaptersOf, type Model } from '@aha/core';
import { afterEach, describe, expect, it } from 'vitest';
import { tinyModel, tinyTokenizer } from '../trainer/__fixtures__/tiny.js';
import { httpReply, type MockOpenAi, type MockReply, startMockOpenAi } from './__fixtures__/mock-openai.js';
import { fullWeightSync, loraAdapterSync, WeightSyncError } from './weight-sync.js';

let server: MockOpenAi | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = null;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'aha-weight-sync-'));
  dirs.push(d);
  return d;
}

/** vLLM's answers: plain-text success, 404 when unloading a name it does not hold. */
function vllm(loaded = new Set<string>()): MockReply {
  return (body, path) => {
    const name = body.lora_name as string;
    if (path === '/v1/load_lora_adapter') {
      if (loaded.has(name)) return httpReply(400, { message: `The lora adapter '${name}' has already been loaded.` });
      loaded.add(name);
      return `Success: LoRA adapter '${name}' added successfully.`;
    }
    if (path === '/v1/unload_lora_adapter') {
      if (!loaded.delete(name)) return httpReply(404, { message: `The lora adapter '${name}' cannot be found.` });
      return `Success: LoRA adapter '${name}' removed successfully.`;
    }
    return httpReply(404, { message: `no route ${path}` });
  };
}

function loraModel(seed = 3): Model {
  const m = tinyModel(seed);
  applyLora(m, { r: 2, targetModules: ['o_proj'], seed });
  // B starts at zero; give it values so a saved-and-loaded adapter is distinguishable from a fresh one.
  for (const [, ad] of loraAdaptersOf(m)) {
    const b = ad.lora_B.weight.values();
    for (let i = 0; i < b.length; i++) b[i] = 0.01 * (i % 7);
  }
  return m;
}

const ctx = (model: Model, step: number) => ({ step, model, tokenizer: tinyTokenizer() });

describe('loraAdapterSync (vLLM runtime LoRA)', () => {
  it('saves the adapter in PEFT format, swaps it on the server and names it', async () => {
    const loaded = new Set<string>();
    server = await startMockOpenAi(vllm(loaded));
    const dir = await tmp();
    const model = loraModel();
    const sync = loraAdapterSync({ baseUrl: `${server.baseUrl}/v1`, dir, namePrefix: 'pol' });
    expect(sync.kind).toBe('lora');
    sync.check?.(model);

    const first = await sync.sync(ctx(model, 0));
    expect(first).toEqual({ model: 'pol-step-0', version: 'pol-step-0' });
    // first sync of a process: unload the name about to be loaded (404 = not there, fine), then load it
    expect(server.paths).toEqual(['/v1/unload_lora_adapter', '/v1/load_lora_adapter']);
    expect(server.requests[1]).toEqual({ lora_name: 'pol-step-0', lora_path: join(dir, 'pol-step-0') });

    const second = await sync.sync(ctx(model, 3));
    expect(second.model).toBe('pol-step-3');
    expect(server.paths.slice(2)).toEqual(['/v1/unload_lora_adapter', '/v1/load_lora_adapter']);
    expect(server.requests[2]).toEqual({ lora_name: 'pol-step-0' });
    expect(server.requests[3]).toEqual({ lora_name: 'pol-step-3', lora_path: join(dir, 'pol-step-3') });
    expect([...loaded]).toEqual(['pol-step-3']);
    expect(existsSync(join(dir, 'pol-step-0'))).toBe(false); // the superseded version is removed from disk

    // What the server was pointed at is a PEFT adapter carrying the model's adapter weights.
    const back = tinyModel(3);
    await loadLoraAdapter(back, server.requests[3].lora_path as string);
    const want = loraAdaptersOf(model);
    for (const [path, ad] of loraAdaptersOf(back)) {
      expect(ad.lora_B.weight.toFloat32Array()).toEqual(want.get(path)?.lora_B.weight.toFloat32Array());
      expect(ad.lora_A.weight.toFloat32Array()).toEqual(want.get(path)?.lora_A.weight.toFloat32Array());
    }
  });

  it('sends the folder as the server names it when serverDir is set, and the bearer token', async () => {
    server = await startMockOpenAi(() => 'ok');
    const dir = await tmp();
    const sync = loraAdapterSync({ baseUrl: server.baseUrl, dir, serverDir: '/mnt/run/sync/', apiKey: 'k' });
    await sync.sync(ctx(loraModel(), 5));
    expect(server.requests[1]).toEqual({
      lora_name: 'aha-policy-step-5',
      lora_path: '/mnt/run/sync/aha-policy-step-5',
    });
    expect(existsSync(join(dir, 'aha-policy-step-5', 'adapter_model.safetensors'))).toBe(true);
    expect(server.auth).toEqual(['Bearer k', 'Bearer k']);
  });

  it.each([500, 404, 400])(
    'a load answered with HTTP %i is a WeightSyncError naming the endpoint and status',
    async (status) => {
      server = await startMockOpenAi((_b, path) =>
        path === '/v1/load_lora_adapter' ? httpReply(status, { message: 'boom' }) : 'ok',
      );
      const sync = loraAdapterSync({ baseUrl: server.baseUrl, dir: await tmp() });
      const err = await sync.sync(ctx(loraModel(), 1)).catch((e: unknown) => e);
      expect(WeightSyncError.isWeightSyncError(err, 'http')).toBe(true);
      const e = err as WeightSyncError;
      expect(e.status).toBe(status);
      expect(e.endpoint).toBe(`${server.baseUrl}/v1/load_lora_adapter`);
      expect(e.message).toContain(`HTTP ${status}`);
      expect(e.message).toContain('boom');
      expect(AhaError.is(err, 'io')).toBe(true);
    },
  );

  it('an unload that fails for another reason than 404 fails the sync', async () => {
    server = await startMockOpenAi((_b, path) => (path === '/v1/unload_lora_adapter' ? httpReply(503, 'down') : 'ok'));
    const sync = loraAdapterSync({ baseUrl: server.baseUrl, dir: await tmp() });
    const err = await sync.sync(ctx(loraModel(), 0)).catch((e: unknown) => e);
    expect(WeightSyncError.isWeightSyncError(err, 'http')).toBe(true);
    expect((err as WeightSyncError).endpoint).toMatch(/\/v1\/unload_lora_adapter$/);
    expect(server.paths).toEqual(['/v1/unload_lora_adapter']); // nothing loaded after it
  });

  it('a server that does not answer in time is a WeightSyncError (timeout); a closed port (connection)', async () => {
    server = await startMockOpenAi((_b, path) => (path === '/v1/load_lora_adapter' ? null : 'ok'));
    const slow = loraAdapterSync({ baseUrl: server.baseUrl, dir: await tmp(), timeoutMs: 150 });
    const err = await slow.sync(ctx(loraModel(), 0)).catch((e: unknown) => e);
    expect(WeightSyncError.isWeightSyncError(err, 'timeout')).toBe(true);
    expect((err as Error).message).toContain('150 ms');
    const gone = server.baseUrl;
    await server.close();
    server = null;
    const closed = loraAdapterSync({ baseUrl: gone, dir: await tmp() });
    const err2 = await closed.sync(ctx(loraModel(), 0)).catch((e: unknown) => e);
    expect(WeightSyncError.isWeightSyncError(err2, 'connection')).toBe(true);
  });

  it('a relative folder is sent as an absolute path (the server has its own working directory)', async () => {
    server = await startMockOpenAi(() => 'ok');
    const dir = await tmp();
    const sync = loraAdapterSync({ baseUrl: server.baseUrl, dir: relative(process.cwd(), dir) });
    await sync.sync(ctx(loraModel(), 1));
    expect(server.requests[1].lora_path).toBe(join(dir, 'aha-policy-step-1'));
  });

  it('refuses a model without adapters, and bad options', async () => {
    const sync = loraAdapterSync({ baseUrl: 'http://127.0.0.1:1', dir: await tmp() });
    expect(() => sync.check?.(tinyModel(1))).toThrow(/needs a model with LoRA adapters/);
    expect(() => loraAdapterSync({ baseUrl: 'ftp://x', dir: 'd' })).toThrow(/http\(s\)/);
    expect(() => loraAdapterSync({ baseUrl: 'http://x', dir: 'd', namePrefix: 'a b' })).toThrow(/namePrefix/);
  });
});

describe('fullWeightSync (write an HF checkpoint, the server reloads it)', () => {
  it('posts the checkpoint path to /update_weights_from_disk; the checkpoint loads with loadModel', async () => {
    server = await startMockOpenAi(() => ({ success: true, message: 'Succeeded to update model weights.' }));
    const dir = await tmp();
    const model = tinyModel(4);
    const sync = fullWeightSync({ baseUrl: server.baseUrl, dir });
    sync.check?.(model);
    expect(await sync.sync(ctx(model, 0))).toEqual({ version: 'step-0' });
    expect(await sync.sync(ctx(model, 2))).toEqual({ version: 'step-2' });
    expect(server.paths).toEqual(['/update_weights_from_disk', '/update_weights_from_disk']);
    expect(server.requests[1]).toEqual({ model_path: join(dir, 'step-2') });
    expect(existsSync(join(dir, 'step-0'))).toBe(false);
    const back = await loadModel(join(dir, 'step-2'));
    const want = model.stateDict();
    for (const [n, t] of back.stateDict()) expect(t.toFloat32Array(), n).toEqual(want.get(n)?.toFloat32Array());
  });

  it('honours endpoint, pathKey and extraBody', async () => {
    server = await startMockOpenAi(() => 'reloaded');
    const dir = await tmp();
    const sync = fullWeightSync({
      baseUrl: server.baseUrl,
      dir,
      endpoint: '/reload',
      pathKey: 'path',
      extraBody: { load_format: 'auto' },
    });
    await sync.sync(ctx(tinyModel(1), 7));
    expect(server.paths).toEqual(['/reload']);
    expect(server.requests[0]).toEqual({ load_format: 'auto', path: join(dir, 'step-7') });
  });

  it('{"success": false} is a rejected sync; HTTP errors name the endpoint and status', async () => {
    server = await startMockOpenAi(() => ({ success: false, message: 'shape mismatch' }));
    const sync = fullWeightSync({ baseUrl: server.baseUrl, dir: await tmp() });
    const err = await sync.sync(ctx(tinyModel(1), 1)).catch((e: unknown) => e);
    expect(WeightSyncError.isWeightSyncError(err, 'rejected')).toBe(true);
    expect((err as Error).message).toContain('shape mismatch');
    await server.close();
    server = await startMockOpenAi(() => httpReply(500, 'oom'));
    const sync2 = fullWeightSync({ baseUrl: server.baseUrl, dir: await tmp(), endpoint: '/x' });
    const err2 = (await sync2.sync(ctx(tinyModel(1), 1)).catch((e: unknown) => e)) as WeightSyncError;
    expect(WeightSyncError.isWeightSyncError(err2, 'http')).toBe(true);
    expect([err2.endpoint, err2.status]).toEqual([`${server.baseUrl}/x`, 500]);
  });

  it('refuses a model with LoRA adapters (use the lora sync)', async () => {
    const sync = fullWeightSync({ baseUrl: 'http://127.0.0.1:1', dir: await tmp() });
    expect(() => sync.check?.(loraModel())).toThrow(/use sync 'lora'/);
    expect(() => fullWeightSync({ baseUrl: 'http://x', dir: 'd', endpoint: 'reload' })).toThrow(/start with '\/'/);
  });
});
