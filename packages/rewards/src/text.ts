/**
 * Text helpers shared by the rule rewards: the reasoning part (inside `<think>…</think>`) and the answer part (after
 * `</think>`, or inside `<answer>…</answer>`) of a completion, and fenced code blocks.
 *
 * Leaves out: chat-template parsing (completions arrive as text or as the last message's content, see `textOf`).
 */

/** The chain of thought: the body of the first `<think>` block, or everything before `</think>` (R1 prefill). */
export function thinkPart(text: string, tag = 'think'): string | undefined {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const end = text.indexOf(close);
  if (end < 0) {
    const start = text.indexOf(open);
    return start < 0 ? undefined : text.slice(start + open.length); // unfinished reasoning
  }
  const start = text.lastIndexOf(open, end);
  return text.slice(start < 0 ? 0 : start + open.length, end);
}

/**
 * The part that holds the final answer: the body of the last `<answer>` block when there is one, else the text after
 * the last `</think>`, else the whole text (a completion without tags).
 */
export function answerPart(text: string, options: { thinkTag?: string; answerTag?: string } = {}): string {
  const answerTag = options.answerTag ?? 'answer';
  const afterThink = (() => {
    const close = `</${options.thinkTag ?? 'think'}>`;
    const end = text.lastIndexOf(close);
    return end < 0 ? text : text.slice(end + close.length);
  })();
  const open = `<${answerTag}>`;
  const close = `</${answerTag}>`;
  const start = afterThink.lastIndexOf(open);
  if (start < 0) return afterThink;
  const end = afterThink.indexOf(close, start);
  return afterThink.slice(start + open.length, end < 0 ? undefined : end);
}

/** A fenced code block: its info string (language, lower-cased) and its body. */
export interface CodeBlock {
  language: string;
  code: string;
}

/** Every ``` / ~~~ fenced block in `text`, in order. An unclosed fence runs to the end of the text. */
export function codeBlocks(text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split('\n');
  let open: { fence: string; language: string; body: string[] } | undefined;
  for (const line of lines) {
    const trimmed = line.trimStart();
    if (!open) {
      const m = /^(`{3,}|~{3,})\s*([\w+#.-]*)/.exec(trimmed);
      if (m) open = { fence: m[1], language: m[2].toLowerCase(), body: [] };
    } else if (trimmed.startsWith(open.fence) && trimmed.slice(open.fence.length).trim() === '') {
      blocks.push({ language: open.language, code: open.body.join('\n') });
      open = undefined;
    } else open.body.push(line);
  }
  if (open) blocks.push({ language: open.language, code: open.body.join('\n') });
  return blocks;
}
