/**
 * Device selection, the first piece of the CUDA device seam (issue #15): 'cpu' runs on the C++ addon (@aha/native),
 * 'cuda' needs a second addon, `aha_cuda.node` in @aha/native's build folder, loaded on first request so that
 * importing @aha/core or running on the CPU never needs CUDA. Asking for 'cuda' where that addon was not built is a
 * DeviceError with reason 'not-built' ("aha was built without CUDA"); where it loads but sees no GPU, reason
 * 'no-device' ("no CUDA device"). Never a crash or a bare dlopen message.
 * Leaves out (later slices): tensors carrying a device, `.to(device)` copies, streams, the device allocator; the CUDA
 * addon itself (native/cuda holds its kernels, tested under an emulation, not yet bound to Node).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AhaError, ValueError } from '../errors.js';

export type DeviceKind = 'cpu' | 'cuda';

/** Why a device cannot be used. */
export type DeviceErrorReason = 'not-built' | 'no-device';

/** A device that was asked for and cannot be used; `reason` says which fix applies. */
export class DeviceError extends AhaError {
  constructor(
    readonly reason: DeviceErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('config', message, options);
  }
}

/** What the device seam needs from the CUDA addon (more entry points arrive with the kernels' bindings). */
export interface CudaAddon {
  /** Number of CUDA devices the driver reports (0 when none is visible). */
  deviceCount(): number;
}

const require = createRequire(import.meta.url);

/** Where the CUDA addon is looked for: next to @aha/native's own addon. */
export function cudaAddonPaths(): string[] {
  const root = dirname(require.resolve('@aha/native'));
  return [join(root, 'build', 'Release', 'aha_cuda.node'), join(root, 'build', 'Debug', 'aha_cuda.node')];
}

function loadFromDisk(): CudaAddon {
  const tried: string[] = [];
  for (const file of cudaAddonPaths()) {
    try {
      return require(file) as CudaAddon;
    } catch (err) {
      tried.push(`${file} (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
  }
  throw new DeviceError(
    'not-built',
    `device 'cuda': aha was built without CUDA (no CUDA addon; tried ${tried.join('; ')}). Build it on a machine with ` +
      `nvcc (see native/cuda/README.md) or use device 'cpu'`,
  );
}

let cached: CudaAddon | undefined;

/**
 * Checks `device` and returns it as a DeviceKind: 'cpu' always works; 'cuda' loads the CUDA addon (once) with
 * `load` and needs at least one device. Throws ValueError for an unknown name, DeviceError when CUDA cannot be used.
 * `load` is the disk loader; tests pass a stand-in to reach each outcome on any machine.
 */
export function resolveDevice(device: string, load: () => CudaAddon): DeviceKind {
  if (device === 'cpu') return 'cpu';
  if (device !== 'cuda') throw new ValueError(`device: expected 'cpu' or 'cuda', got ${JSON.stringify(device)}`);
  const addon = load();
  const count = addon.deviceCount();
  if (!(count > 0)) {
    throw new DeviceError(
      'no-device',
      `device 'cuda': no CUDA device (the CUDA addon is built, but the driver reports ${count} devices)`,
    );
  }
  return 'cuda';
}

/** `resolveDevice` with the CUDA addon loaded from @aha/native's build folder, once per process on success. */
export function selectDevice(device: string): DeviceKind {
  return resolveDevice(device, () => {
    cached ??= loadFromDisk();
    return cached;
  });
}
