/**
 * The base training configuration every aha trainer extends (GRPO, SFT, KD, reward models, pretraining): one
 * vocabulary for the optimizer, the learning-rate schedule, the loop, checkpoints, the seed and logging, with HF
 * `TrainingArguments` meanings (learning_rate → learningRate, lr_scheduler_type → lrSchedule, max_steps → maxSteps,
 * gradient_accumulation_steps → gradAccumulation, save_steps → checkpointEvery, save_total_limit → keepCheckpoints,
 * logging_steps → logEvery). A trainer's schema is `TrainConfigBaseSchema.extend({...})` (its own fields and its own
 * defaults); `withDefaults` gives a recipe the same schema with the recipe's defaults, so a section of a config file
 * means the same thing wherever it is written. Schemas here are strict and refinement-free (cross-field checks live
 * in the trainers), so they can be extended. `parseTrainConfig` turns zod issues into one line per problem and
 * suggests the closest valid key for an unknown one ("lr: unknown key (did you mean "learningRate"?)").
 * Leaves out: distributed settings (aha trains on one device), mixed precision.
 */
import { z } from 'zod';
import { AhaError } from '../errors.js';

export const LrScheduleSchema = z
  .enum(['constant', 'linear', 'cosine'])
  .describe('Learning-rate decay after warmup: constant, linear to minLrRatio·η, or half-cosine to minLrRatio·η.');
export type LrScheduleName = z.infer<typeof LrScheduleSchema>;

export const TrainConfigBaseSchema = z.strictObject({
  // ---- optimizer (AdamW) and schedule ----
  learningRate: z.number().positive().finite().default(1e-4).describe('η — peak AdamW learning rate.'),
  lrSchedule: LrScheduleSchema.default('linear'),
  warmupSteps: z.number().int().min(0).default(0).describe('Linear warmup steps from 0 to η.'),
  minLrRatio: z.number().min(0).max(1).default(0).describe('Floor of the decay as a fraction of η.'),
  weightDecay: z.number().min(0).default(0).describe('λ — decoupled AdamW weight decay.'),
  adamBetas: z
    .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
    .default([0.9, 0.999])
    .describe('AdamW (β1, β2) moment decay rates.'),
  adamEpsilon: z.number().positive().default(1e-8).describe('AdamW ε.'),
  // ---- loop ----
  maxSteps: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('Optimizer steps of the run; null: derived from epochs.'),
  epochs: z
    .number()
    .positive()
    .default(1)
    .describe('Passes over the dataset (may be fractional); used only when maxSteps is null.'),
  gradAccumulation: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe('Micro-batches per optimizer step; gradients are summed, each loss weighted (a memory knob).'),
  maxGradNorm: z
    .number()
    .positive()
    .nullable()
    .default(1)
    .describe('Clip the global L2 norm of all gradients to this before each step; null disables clipping.'),
  // ---- checkpoints ----
  outputDir: z
    .string()
    .min(1)
    .nullable()
    .default(null)
    .describe('Run folder: checkpoints in <outputDir>/checkpoints, metrics in <outputDir>/metrics.jsonl; null: none.'),
  checkpointEvery: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Write a checkpoint every N optimizer steps (0: only at the end and on Ctrl-C).'),
  keepCheckpoints: z.number().int().positive().default(2).describe('How many newest checkpoints to keep on disk.'),
  resume: z
    .union([z.boolean(), z.string().min(1)])
    .default(true)
    .describe(
      'true: continue from the newest intact checkpoint in outputDir; a path: from that checkpoint; false: start ' +
        'over (existing checkpoints and metrics of outputDir are deleted).',
    ),
  // ---- seed and logging ----
  seed: z.number().int().min(0).default(0).describe('Seed of the data order, sampling and init.'),
  logEvery: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe('Write a metrics.jsonl record every N steps (the last step is always written).'),
});
export type TrainConfigBase = z.output<typeof TrainConfigBaseSchema>;
export type TrainConfigBaseInput = z.input<typeof TrainConfigBaseSchema>;

type AnyObject = z.ZodObject<z.ZodRawShape>;

/** Strips `.default()` / `.optional()` wrappers (the value type a field holds). */
function inner(field: z.ZodType): z.ZodType {
  let f = field;
  while (f instanceof z.ZodDefault || f instanceof z.ZodOptional) f = f.unwrap() as z.ZodType;
  return f;
}

/**
 * The same object schema with other defaults (a recipe's): fields keep their types, checks and descriptions, and
 * unknown keys stay errors. `defaults` may only name keys of the schema.
 * @example withDefaults(GrpoConfigSchema, { maxSteps: 200, beta: 0 })
 */
export function withDefaults<S extends AnyObject>(schema: S, defaults: Partial<z.input<S>>): S {
  const shape = schema.shape as Record<string, z.ZodType>;
  const replaced: Record<string, z.ZodType> = {};
  for (const [key, value] of Object.entries(defaults as Record<string, unknown>)) {
    const field = shape[key];
    if (!field) {
      throw new AhaError('config', `withDefaults: "${key}" is not a key of the schema${hint(key, Object.keys(shape))}`);
    }
    const base = inner(field);
    let next = (base as z.ZodType & { default(v: unknown): z.ZodType }).default(value);
    if (field.description) next = next.describe(field.description);
    replaced[key] = next;
  }
  return schema.safeExtend(replaced) as unknown as S;
}

/** Levenshtein distance (insert, delete, substitute: 1 each), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length];
}

/** Names renamed in the one vocabulary (old trainer configs, HF/TRL spellings) → the key to use now. */
const RENAMED: Record<string, string> = {
  lr: 'learningRate',
  learning_rate: 'learningRate',
  schedule: 'lrSchedule',
  lr_scheduler_type: 'lrSchedule',
  betas: 'adamBetas',
  eps: 'adamEpsilon',
  steps: 'maxSteps',
  totalSteps: 'maxSteps',
  max_steps: 'maxSteps',
  epsilon: 'epsilonLow',
  num_generations: 'groupSize',
};

/**
 * The valid key closest to `key` (renamed keys first, then edit distance ≤ max(2, a third of its length)), or
 * undefined when nothing is close.
 */
export function closestKey(key: string, valid: readonly string[]): string | undefined {
  const renamed = RENAMED[key];
  if (renamed && valid.includes(renamed)) return renamed;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const v of valid) {
    const d = editDistance(key, v);
    if (d < bestDistance) [best, bestDistance] = [v, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

const hint = (key: string, valid: readonly string[]) => {
  const c = closestKey(key, valid);
  return c ? ` (did you mean "${c}"?)` : '';
};

/** The object shape a path leads to inside `schema` (through defaults, optionals, nullables, arrays, unions). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  const step = (x: z.ZodType): z.ZodType => {
    let y = x;
    for (;;) {
      if (y instanceof z.ZodDefault || y instanceof z.ZodOptional || y instanceof z.ZodNullable)
        y = y.unwrap() as z.ZodType;
      else if (y instanceof z.ZodPipe) y = y.in as z.ZodType;
      else return y;
    }
  };
  for (const key of path) {
    if (!s) return [];
    s = step(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return [];
  }
  if (!s) return [];
  s = step(s);
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  if (s instanceof z.ZodUnion || s instanceof z.ZodDiscriminatedUnion) {
    return [...new Set((s.options as z.ZodType[]).flatMap((o) => keysAt(o, [])))];
  }
  return [];
}

/** `grpo.learningRate`, `rewards[1].weight`; `(root)` for the whole object. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * The "did you mean" hint of an unknown key at `path` (the object's path) in `schema`, e.g. ` (did you mean
 * "learningRate"?)`, or ''.
 */
export function unknownKeyHint(schema: z.ZodType, path: readonly PropertyKey[], key: string): string {
  return hint(key, keysAt(schema, path));
}

/**
 * Validates a trainer config (strict: an unknown key is an error naming it and the closest valid key) and returns it
 * with defaults filled. Throws `AhaError('config')` with one line per problem, `<key>: <problem>`.
 * @param who names the trainer in the message (`GrpoTrainer`)
 */
export function parseTrainConfig<S extends z.ZodType>(schema: S, input: unknown, who: string): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => `${formatKeyPath([...i.path, k])}: unknown key${unknownKeyHint(schema, i.path, k)}`);
    }
    return [`${formatKeyPath(i.path)}: ${i.message}`];
  });
  throw new AhaError('config', `${who}: invalid config\n${lines.map((l) => `  ${l}`).join('\n')}`, {
    cause: r.error,
  });
}
