/**
 * Device selection without CUDA: 'cpu' works, an unknown name is a ValueError, and 'cuda' is a typed DeviceError —
 * 'not-built' where the CUDA addon is missing (this machine: no build of it exists) and 'no-device' where it loads but
 * sees no GPU (a stand-in addon). Leaves out: a machine with a GPU (native/cuda/gpu-check.sh covers the kernels there).
 */
import { describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { cudaAddonPaths, DeviceError, resolveDevice, selectDevice } from './device.js';

describe('selectDevice', () => {
  it("returns 'cpu' for 'cpu'", () => {
    expect(selectDevice('cpu')).toBe('cpu');
  });

  it('rejects an unknown device name as a ValueError naming it', () => {
    expect(() => selectDevice('tpu')).toThrow(/device: expected 'cpu' or 'cuda', got "tpu"/);
    expect(() => selectDevice('tpu')).toThrow(expect.objectContaining({ code: 'value' }));
  });

  it("'cuda' without the CUDA addon is DeviceError 'not-built' (aha was built without CUDA)", () => {
    let err: unknown;
    try {
      selectDevice('cuda');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeviceError);
    expect(AhaError.is(err, 'config')).toBe(true);
    expect((err as DeviceError).reason).toBe('not-built');
    expect((err as DeviceError).message).toMatch(/aha was built without CUDA/);
    expect((err as DeviceError).message).toContain(cudaAddonPaths()[0]);
  });
});

describe('resolveDevice', () => {
  const cases: [string, number, DeviceErrorCase][] = [
    ['a driver with no device', 0, { reason: 'no-device', message: /no CUDA device .* reports 0 devices/ }],
    ['one visible device', 1, null],
  ];
  it.each(cases)('%s', (_name, count, want) => {
    const run = () => resolveDevice('cuda', () => ({ deviceCount: () => count }));
    if (want === null) {
      expect(run()).toBe('cuda');
      return;
    }
    expect(run).toThrow(DeviceError);
    expect(run).toThrow(want.message);
    expect(run).toThrow(expect.objectContaining({ reason: want.reason }));
  });

  it('never loads the CUDA addon for the CPU', () => {
    expect(
      resolveDevice('cpu', () => {
        throw new Error('loaded');
      }),
    ).toBe('cpu');
  });
});

type DeviceErrorCase = { reason: DeviceError['reason']; message: RegExp } | null;
