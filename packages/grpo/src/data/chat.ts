/**
 * Prompt rendering: a chat template hook `(messages) => string` (the tokenizer's template plugs in later, from
 * @aha/core), and the DeepSeek-R1-Zero training template (R1 paper, Table 1), which is plain text rather than a chat
 * format because R1-Zero starts from a base model.
 */
import { ValueError } from '@aha/core';
import type { ChatMessage, ChatTemplate, Prompt } from './types.js';

/** The R1-Zero instruction (R1 paper, Table 1); the question follows after "User:". */
export const R1_ZERO_INSTRUCTION =
  'A conversation between User and Assistant. The user asks a question, and the Assistant solves it. ' +
  'The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. ' +
  'The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, ' +
  'respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>.';

/**
 * The R1-Zero template as a {@link ChatTemplate}: the instruction, then each message as "User: …" / "Assistant: …"
 * (system messages are prepended to the instruction), ending with "Assistant:" so the model continues.
 */
export const r1ZeroTemplate: ChatTemplate = (messages) => {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const turns = messages
    .filter((m) => m.role !== 'system')
    .map((m) => `${m.role === 'assistant' ? 'Assistant' : 'User'}: ${m.content}`);
  return [...system, R1_ZERO_INSTRUCTION, ...turns, 'Assistant:'].join(' ');
};

/**
 * Turn a dataset prompt into model input text. Chat prompts go through `template` (required for them); a plain
 * string is used as is, or — when `wrapStrings` — wrapped as one user message and templated (how R1-Zero's template
 * is applied to a plain question).
 */
export function renderPrompt(prompt: Prompt, template?: ChatTemplate, opts: { wrapStrings?: boolean } = {}): string {
  if (typeof prompt === 'string') {
    if (!opts.wrapStrings) return prompt;
    if (!template) throw new ValueError('renderPrompt: wrapStrings needs a template');
    return template([{ role: 'user', content: prompt }]);
  }
  if (!template) {
    throw new ValueError(
      `renderPrompt: the prompt is a list of ${prompt.length} chat messages; pass a chat template ` +
        '(the tokenizer’s, or r1ZeroTemplate) to render it',
    );
  }
  const text = template(prompt as ChatMessage[]);
  if (typeof text !== 'string') {
    throw new ValueError(`renderPrompt: the chat template returned ${typeof text}, expected a string`);
  }
  return text;
}
