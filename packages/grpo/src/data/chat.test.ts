import { describe, expect, it } from 'vitest';
import { R1_ZERO_INSTRUCTION, r1ZeroTemplate, renderPrompt } from './chat.js';
import type { ChatTemplate } from './types.js';

const tagTemplate: ChatTemplate = (ms) => ms.map((m) => `<|${m.role}|>${m.content}`).join('') + '<|assistant|>';

describe('renderPrompt', () => {
  it('plain strings pass through unchanged', () => {
    expect(renderPrompt('2+2?')).toBe('2+2?');
    expect(renderPrompt('2+2?', tagTemplate)).toBe('2+2?');
  });

  it('chat prompts go through the template hook', () => {
    expect(renderPrompt([{ role: 'user', content: 'Hi' }], tagTemplate)).toBe('<|user|>Hi<|assistant|>');
  });

  it('chat prompts without a template are an error that says what to pass', () => {
    expect(() => renderPrompt([{ role: 'user', content: 'Hi' }])).toThrow(
      /list of 1 chat messages; pass a chat template/,
    );
  });

  it('wrapStrings templates a plain question as one user message', () => {
    expect(renderPrompt('2+2?', tagTemplate, { wrapStrings: true })).toBe('<|user|>2+2?<|assistant|>');
  });

  it('a template that returns a non-string is caught', () => {
    const bad = (() => 42) as unknown as ChatTemplate;
    expect(() => renderPrompt([{ role: 'user', content: 'x' }], bad)).toThrow(/returned number/);
  });
});

describe('r1ZeroTemplate', () => {
  it('renders the R1 Table 1 template ending in "Assistant:"', () => {
    const s = r1ZeroTemplate([{ role: 'user', content: 'What is 1+1?' }]);
    expect(s).toBe(`${R1_ZERO_INSTRUCTION} User: What is 1+1? Assistant:`);
    expect(s).toContain('<think> reasoning process here </think> <answer> answer here </answer>');
  });
});
