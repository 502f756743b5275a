// Per-sample score run in a worker thread (see worker-reward.ts): TypeScript with annotations Node cannot run as is.
interface Scored {
  completion: string;
}

export default function score(sample: Scored): number {
  const length: number = String(sample.completion).length;
  return length > 3 ? 0 : 1;
}
