// A per-sample worker reward written in TypeScript (type annotations Node cannot strip itself): the runner must load
// it in its worker thread through tsx, as the CLI's built form and plain node have no loader for .ts.
interface Scored {
  completion: string;
}

export default function words(sample: Scored): number {
  const count: number = sample.completion.split(/\s+/).filter(Boolean).length;
  return count;
}
