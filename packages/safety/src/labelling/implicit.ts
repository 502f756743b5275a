/**
 * Implicit (machine-readable) labels for AI-generated content: metadata that travels with a file, as the Measures
 * for Labeling AI-Generated Synthetic Content (Art. 5) require and GB 45438-2025 specifies for file metadata: an
 * `AIGC` entry with the fields Label (1 = AI-generated, 2 = possibly, 3 = suspected — the latter two for platforms
 * that find unlabelled content), ContentProducer, ProduceID, ReservedCode1, ContentPropagator, PropagateID,
 * ReservedCode2. We add the generation timestamp and, when known, the generating model beside it (not inside, so
 * strict readers of the AIGC object see only the standard's fields).
 *
 * Carriers: a JSON sidecar file (`{ "AIGC": {...}, "timestamp": "..." }`), safetensors-style string metadata
 * (`__metadata__`: `AIGC` = the JSON of the object, `AIGC_timestamp`), and HTML `<meta name="AIGC">` tags. Each
 * carrier has a writer and a reader; readers validate with zod and return null when there is no label.
 *
 * Leaves out: XMP / EXIF / ID3 / MP4 box embedding for media files, digital watermarks, the coding rules of the
 * producer and content ids (TC260 practice guide; `ProduceID` defaults to a content hash here), signing
 * (ReservedCode1/2 are passed through, not computed).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SafetyError } from '../errors.js';
import { escapeHtml } from './explicit.js';

/** The `AIGC` metadata object (field names as in GB 45438-2025). */
export const AigcMetadataSchema = z.object({
  Label: z.enum(['1', '2', '3']).describe('1 = AI-generated, 2 = possibly AI-generated, 3 = suspected AI-generated.'),
  ContentProducer: z.string().describe('Who generated the content (service provider name or code).'),
  ProduceID: z.string().describe('Unique id of the content assigned by the producer.'),
  ReservedCode1: z.string().default('').describe('Reserved (e.g. a producer signature / checksum).'),
  ContentPropagator: z.string().default('').describe('Platform that distributes the content, when one did.'),
  PropagateID: z.string().default('').describe('Unique id of the content assigned by the propagator.'),
  ReservedCode2: z.string().default('').describe('Reserved (e.g. a propagator signature / checksum).'),
});
export type AigcMetadata = z.output<typeof AigcMetadataSchema>;

/** An implicit label: the AIGC object, when the content was generated and (optionally) by which model. */
export interface ImplicitLabel {
  AIGC: AigcMetadata;
  /** ISO 8601 time of generation. */
  timestamp: string;
  /** The model that generated the content (a folder, a preset or a served model name). */
  model?: string;
}

/** Options of {@link createImplicitLabel}. */
export interface ImplicitLabelOptions {
  /** ContentProducer. */
  producer: string;
  /** ProduceID; default: `sha256:` + the SHA-256 of `content` (first 32 hex digits). */
  contentId?: string;
  /** The content, to derive the default content id. */
  content?: string | Uint8Array;
  /** 1 (default) = AI-generated, 2 = possibly, 3 = suspected. */
  label?: 1 | 2 | 3;
  propagator?: string;
  propagateId?: string;
  reservedCode1?: string;
  reservedCode2?: string;
  /** Generation time (default: now). */
  timestamp?: Date | string;
  /** The generating model, kept beside the AIGC object. */
  model?: string;
}

/** A stable content id: `sha256:` + the first 32 hex digits of the content's SHA-256. */
export function contentIdFor(content: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
}

/** Build an implicit label. */
export function createImplicitLabel(options: ImplicitLabelOptions): ImplicitLabel {
  if (!options?.producer) throw new SafetyError('invalid', 'createImplicitLabel: producer must be a non-empty string');
  const id = options.contentId ?? (options.content !== undefined ? contentIdFor(options.content) : undefined);
  if (!id) throw new SafetyError('invalid', 'createImplicitLabel: give contentId or content (to derive the id from)');
  const label = options.label ?? 1;
  if (![1, 2, 3].includes(label))
    throw new SafetyError('invalid', `createImplicitLabel: label must be 1, 2 or 3, got ${label}`);
  const t = options.timestamp === undefined ? new Date() : new Date(options.timestamp);
  if (Number.isNaN(t.getTime())) {
    throw new SafetyError(
      'invalid',
      `createImplicitLabel: timestamp ${JSON.stringify(options.timestamp)} is not a date`,
    );
  }
  return {
    AIGC: {
      Label: String(label) as AigcMetadata['Label'],
      ContentProducer: options.producer,
      ProduceID: id,
      ReservedCode1: options.reservedCode1 ?? '',
      ContentPropagator: options.propagator ?? '',
      PropagateID: options.propagateId ?? '',
      ReservedCode2: options.reservedCode2 ?? '',
    },
    timestamp: t.toISOString(),
    ...(options.model !== undefined && { model: options.model }),
  };
}

const ImplicitLabelSchema = z.object({
  AIGC: AigcMetadataSchema,
  timestamp: z.iso.datetime({ offset: true }),
  model: z.string().optional(),
});

function validate(value: unknown, where: string): ImplicitLabel {
  const r = ImplicitLabelSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SafetyError('malformed', `${where}: not a valid implicit label — ${issues.join('; ')}`);
  }
  return r.data;
}

/** The JSON sidecar text for a label (write it next to the content, e.g. `out.txt.aigc.json`). */
export function toSidecarJson(label: ImplicitLabel): string {
  return `${JSON.stringify(validate(label, 'toSidecarJson'), null, 2)}\n`;
}

/** Read a JSON sidecar. Throws a 'malformed' SafetyError on bad JSON or a bad label. */
export function readSidecarJson(json: string): ImplicitLabel {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new SafetyError('malformed', `readSidecarJson: not JSON (${(err as Error).message})`);
  }
  return validate(value, 'readSidecarJson');
}

/** Safetensors-style `__metadata__` entries (string → string) carrying the label; merge them into your metadata. */
export function toSafetensorsMetadata(label: ImplicitLabel): Record<string, string> {
  const l = validate(label, 'toSafetensorsMetadata');
  return {
    AIGC: JSON.stringify(l.AIGC),
    AIGC_timestamp: l.timestamp,
    ...(l.model !== undefined && { AIGC_model: l.model }),
  };
}

/** Read the label from safetensors-style metadata; null when there is no `AIGC` entry. */
export function readSafetensorsMetadata(metadata: Record<string, string> | null | undefined): ImplicitLabel | null {
  if (!metadata || metadata.AIGC === undefined) return null;
  let aigc: unknown;
  try {
    aigc = JSON.parse(metadata.AIGC);
  } catch (err) {
    throw new SafetyError('malformed', `readSafetensorsMetadata: AIGC is not JSON (${(err as Error).message})`);
  }
  return validate(
    { AIGC: aigc, timestamp: metadata.AIGC_timestamp, model: metadata.AIGC_model },
    'readSafetensorsMetadata',
  );
}

/** The HTML `<meta>` tags carrying the label. */
export function toHtmlMeta(label: ImplicitLabel): string {
  const l = validate(label, 'toHtmlMeta');
  return (
    `<meta name="AIGC" content="${escapeHtml(JSON.stringify(l.AIGC))}">\n` +
    `<meta name="AIGC-timestamp" content="${escapeHtml(l.timestamp)}">` +
    (l.model === undefined ? '' : `\n<meta name="AIGC-model" content="${escapeHtml(l.model)}">`)
  );
}

const META_RE = /<meta\s+name\s*=\s*["']AIGC(-timestamp|-model)?["']\s+content\s*=\s*"([^"]*)"\s*\/?>/gi;

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Read the label from an HTML document's `<meta>` tags (as written by `toHtmlMeta`); null when there is none. */
export function readHtmlMeta(html: string): ImplicitLabel | null {
  let aigc: string | undefined;
  let timestamp: string | undefined;
  let model: string | undefined;
  for (const m of html.matchAll(META_RE)) {
    if (m[1] === '-timestamp') timestamp = unescapeHtml(m[2]);
    else if (m[1] === '-model') model = unescapeHtml(m[2]);
    else aigc = unescapeHtml(m[2]);
  }
  if (aigc === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(aigc);
  } catch (err) {
    throw new SafetyError('malformed', `readHtmlMeta: AIGC content is not JSON (${(err as Error).message})`);
  }
  return validate({ AIGC: value, timestamp, model }, 'readHtmlMeta');
}

/**
 * Put the label's `<meta>` tags into an HTML document: replaces existing AIGC tags (idempotent), else inserts
 * them right after `<head>` (or at the start of the document when it has no head).
 */
export function embedHtmlMeta(html: string, label: ImplicitLabel): string {
  const tags = toHtmlMeta(label);
  const stripped = html.replace(META_RE, '').replace(/(<head[^>]*>)\n{2,}/i, '$1\n');
  const head = /<head[^>]*>/i.exec(stripped);
  if (head) {
    const at = head.index + head[0].length;
    return `${stripped.slice(0, at)}\n${tags}${stripped.slice(at)}`;
  }
  return `${tags}\n${stripped}`;
}
