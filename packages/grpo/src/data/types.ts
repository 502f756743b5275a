/**
 * Dataset row types, following the Hugging Face / TRL conventions for GRPO data: a `prompt` column that is either
 * plain text ("standard" format) or a list of chat messages ("conversational" format), an optional `solution`
 * column with the gold answer (read by `accuracyReward`), and any other columns kept as they are for rewards.
 */
import { z } from 'zod';

/** One chat message, as in HF datasets' `messages` / conversational `prompt` columns. */
export const ChatMessageSchema = z
  .looseObject({
    role: z.string().min(1).describe("Speaker: 'system', 'user', 'assistant' (or a tool role)."),
    content: z.string().describe('Message text.'),
  })
  .describe('A chat message.');
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** A prompt: plain text, or chat messages to be rendered by a chat template. */
export const PromptSchema = z
  .union([z.string(), z.array(ChatMessageSchema).min(1)])
  .describe('Plain-text prompt, or a non-empty list of chat messages.');
export type Prompt = z.infer<typeof PromptSchema>;

/** A dataset row: `prompt`, optional `solution`, and any extra columns (kept for rewards). */
export const DatasetRowSchema = z
  .looseObject({
    prompt: PromptSchema,
    solution: z.string().optional().describe('Gold answer, read by accuracy rewards (TRL / open-r1 convention).'),
  })
  .describe('A GRPO dataset row.');
export interface DatasetRow {
  prompt: Prompt;
  solution?: string;
  [column: string]: unknown;
}

/** Renders chat messages to the model's prompt text. The tokenizer's template plugs in here (from @aha/core). */
export type ChatTemplate = (messages: ChatMessage[]) => string;
