/**
 * Small helpers shared by aha's HTTP clients (the remote rollout client, the HTTP safety judge): an abortable backoff
 * sleep, the Retry-After header (seconds or HTTP date, RFC 9110 §10.2.3), and a short one-line body snippet for
 * error messages. The clients keep their own error types; these only remove the copies.
 */

/** Waits `ms` (resolves at once for ms ≤ 0); rejects with `onAbort()` when `signal` aborts first. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined, onAbort: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    const abort = () => {
      clearTimeout(timer);
      reject(onAbort());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/** The delay a Retry-After header asks for, in ms (undefined when absent or unreadable). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** A reply body folded to one line and cut at 200 characters, for error messages. */
export function bodySnippet(body: string): string {
  const t = body.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t || '(empty body)';
}
