/**
 * Turns zod issues into one line each that a user can act on: the key path as written in the file and the problem in
 * plain words, e.g. `grpo.learningRate: expected number, got "abc"`. zod's own messages ("Invalid input: expected
 * number, received string") hide the offending value; parse with `{ reportInput: true }` so issues carry it.
 */
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
 * One line per issue, `<path>: <problem>`; unrecognized keys are reported at the key itself.
 * @param issues zod issues (from `error.issues`)
 */
export function formatZodIssues(issues: readonly Issue[]): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) {
      return `${formatPath([...issue.path, issue.keys[0]])}: unknown key`;
    }
    return `${formatPath(issue.path)}: ${problem(issue)}`;
  });
}
