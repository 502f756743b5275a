/**
 * Turns zod issues into one line each that a user can act on: the key path as written in the file and the problem in
 * plain words, e.g. `grpo.learningRate: expected number, got "abc"`. zod's own messages ("Invalid input: expected
 * number, received string") hide the offending value; parse with `{ reportInput: true }` so issues carry it.
 */
import { unknownKeyHint } from '@aha/core';
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** `grpo.learningRate`, `rewards[1].weight`; `(root)` for the whole document. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A short, quoted rendering of a bad value for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const json = JSON.stringify(value);
    return json.length > 48 ? `${json.slice(0, 45)}..."` : json;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

function problem(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      return `${issue.origin === 'number' || issue.origin === 'int' ? 'must be' : `${issue.origin} size must be`} ${
        issue.inclusive ? '>=' : '>'
      } ${String(issue.minimum)}, got ${describeValue(issue.input)}`;
    case 'too_big':
      return `${issue.origin === 'number' || issue.origin === 'int' ? 'must be' : `${issue.origin} size must be`} ${
        issue.inclusive ? '<=' : '<'
      } ${String(issue.maximum)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_format':
      return `expected a ${issue.format} string, got ${describeValue(issue.input)}`;
    default:
      return issue.message;
  }
}

/**
 * One line per issue, `<path>: <problem>`; unrecognized keys are reported at the key itself, one line each, with the
 * closest valid key when `schema` is given (`grpo.maxStep: unknown key (did you mean "maxSteps"?)`).
 * @param issues zod issues (from `error.issues`)
 * @param schema the schema that produced them, for "did you mean" hints
 * @param prefix path of the schema's root inside the file (a section: `['grpo']`)
 */
export function formatZodIssues(
  issues: readonly Issue[],
  schema?: z.ZodType,
  prefix: readonly PropertyKey[] = [],
): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const hint = schema ? unknownKeyHint(schema, issue.path, key) : '';
        return `${formatPath([...prefix, ...issue.path, key])}: unknown key${hint}`;
      });
    }
    return [`${formatPath([...prefix, ...issue.path])}: ${problem(issue)}`];
  });
}
