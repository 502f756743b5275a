/**
 * Labelling what aha itself emits, on by default: the implicit label of one generated text (producer "aha", the
 * model, the time, a content id) for JSON output, and a JSON sidecar (`<file>.aigc.json`) beside every file aha
 * writes with generated text in it (generation outputs, rejection-sampling datasets) — the file-metadata carrier of
 * GB 45438-2025 for formats that have no metadata slot of their own (JSONL, plain text).
 *
 * Leaves out: embedding into formats that have one (safetensors and HTML have writers in implicit.ts), signing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { SafetyError } from '../errors.js';
import { createImplicitLabel, type ImplicitLabel, readSidecarJson, toSidecarJson } from './implicit.js';

/** `ContentProducer` of everything aha generates. */
export const AHA_PRODUCER = 'aha';

/** What a sidecar file's name adds to the labelled file's name. */
export const SIDECAR_SUFFIX = '.aigc.json';

/** Options of {@link labelGenerated} and {@link writeLabelSidecar}. */
export interface GeneratedLabelOptions {
  /** The generating model (folder, preset or served name). */
  model?: string;
  /** `ContentProducer` (default "aha"). */
  producer?: string;
  /** Generation time (default: now). */
  timestamp?: Date | string;
}

/** The implicit label of one generated text; its content id is the text's hash. */
export function labelGenerated(content: string, options: GeneratedLabelOptions = {}): ImplicitLabel {
  if (typeof content !== 'string')
    throw new SafetyError('invalid', `labelGenerated: content must be a string, got ${typeof content}`);
  return createImplicitLabel({
    producer: options.producer ?? AHA_PRODUCER,
    content,
    timestamp: options.timestamp,
    model: options.model,
  });
}

/** Where the sidecar of `file` goes. */
export const sidecarPath = (file: string): string => `${file}${SIDECAR_SUFFIX}`;

/**
 * Writes the implicit label of `file` (already written: its bytes give the content id) to `<file>.aigc.json`.
 * @returns the sidecar's path
 */
export async function writeLabelSidecar(file: string, options: GeneratedLabelOptions = {}): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new SafetyError('invalid', `writeLabelSidecar: cannot read ${file} (${(err as Error).message})`);
  }
  const label = createImplicitLabel({
    producer: options.producer ?? AHA_PRODUCER,
    content: bytes,
    timestamp: options.timestamp,
    model: options.model,
  });
  const path = sidecarPath(file);
  await writeFile(path, toSidecarJson(label));
  return path;
}

/** {@link writeLabelSidecar} for synchronous writers (e.g. a report written with writeFileSync). */
export function writeLabelSidecarSync(file: string, options: GeneratedLabelOptions = {}): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new SafetyError('invalid', `writeLabelSidecar: cannot read ${file} (${(err as Error).message})`);
  }
  const path = sidecarPath(file);
  writeFileSync(
    path,
    toSidecarJson(
      createImplicitLabel({
        producer: options.producer ?? AHA_PRODUCER,
        content: bytes,
        timestamp: options.timestamp,
        model: options.model,
      }),
    ),
  );
  return path;
}

/** The label in `file`'s sidecar, or null when it has none. */
export async function readLabelSidecar(file: string): Promise<ImplicitLabel | null> {
  let text: string;
  try {
    text = await readFile(sidecarPath(file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return readSidecarJson(text);
}
