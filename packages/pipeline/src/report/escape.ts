/**
 * Escaping for the self-contained HTML report. Sample completions are model output: they contain `<think>` tags,
 * code and anything a policy learns to write, so every text goes through `escapeHtml` and the embedded data block
 * through `jsonForScript` (no `</script>` or `<!--` can close or alter the block).
 */

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEscapes[c]);
}

/** JSON safe to place inside `<script type="application/json">`: `<` and line/paragraph separators as \u escapes. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A third-party script inlined in a `<script>` element: neutralise any `</script` inside it. */
export function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}
