// Rebuilds the native addon when its sources changed, so tests always run the kernels in the tree.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../../native/tools/ensure-built.cjs', import.meta.url));
  execFileSync(process.execPath, [script], { stdio: 'inherit' });
}
