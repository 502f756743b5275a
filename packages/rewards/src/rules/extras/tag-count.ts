/**
 * tagCountReward (open-r1 `tag_count_reward`): partial credit for the format while a model learns it.
 *   r = ¼ · Σ_{t ∈ {"<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>"}} [count(t) = 1]
 * With `newlines: false` the four tags are counted bare (`<think>`, `</think>`, `<answer>`, `</answer>`).
 *
 * Leaves out: order checks (formatReward is the strict judge; this is only shaping).
 */
import { z } from 'zod';
import { defineReward, type Reward, textOf } from '../../reward.js';

export const TagCountOptions = z.object({
  thinkTag: z.string().default('think').describe('Name of the reasoning tag.'),
  answerTag: z.string().default('answer').describe('Name of the answer tag.'),
  newlines: z.boolean().default(true).describe('Count the tags with the newlines open-r1 requires around them.'),
  name: z.string().default('tag_count').describe('Reward name (metric key).'),
});
export type TagCountOptions = z.input<typeof TagCountOptions>;

/** The four counted strings for these options. */
export function countedTags(o: z.output<typeof TagCountOptions>): string[] {
  const n = o.newlines ? '\n' : '';
  return [`<${o.thinkTag}>${n}`, `${n}</${o.thinkTag}>${n}`, `${n}<${o.answerTag}>${n}`, `${n}</${o.answerTag}>`];
}

/** ¼ per tag that occurs exactly once (see the file comment). */
export function tagCountReward(options: TagCountOptions = {}): Reward {
  const o = TagCountOptions.parse(options);
  const tags = countedTags(o);
  return defineReward({
    name: o.name,
    async score(samples) {
      return samples.map((s) => {
        const text = textOf(s.completion);
        return tags.reduce((r, tag) => r + (text.split(tag).length - 1 === 1 ? 0.25 : 0), 0);
      });
    },
  });
}
