// Table tests for final-answer extraction (think/answer tags, boxes, phrases, trailing expressions) and its linear cost.
import { describe, expect, it } from 'vitest';
import { extractAnswer, extractGold, lastBoxed } from './extract.js';

describe('extractAnswer', () => {
  const table: [completion: string, expected: string | undefined, reason: string][] = [
    ['\\boxed{5}', '5', 'a box'],
    ['so \\boxed{\\frac{1}{2}} done', '\\frac{1}{2}', 'nested braces inside the box'],
    ['\\boxed{3} then \\boxed{4}', '4', 'the last box counts'],
    ['\\fbox{7}', '7', 'fbox'],
    ['\\boxed 9 and more', '9', 'box without braces'],
    ['<think>\\boxed{1}</think> \\boxed{2}', '2', 'after </think>'],
    ['<think>\\boxed{1}</think> no answer here.', undefined, 'a box only inside the think block does not count'],
    ['<think>reasoning \\boxed{1}', undefined, 'an unclosed think block has no answer part'],
    ['<think>x</think><answer>x = 4</answer>', 'x = 4', 'answer tag content'],
    ['<answer>1</answer> <answer>2</answer>', '2', 'last answer tag'],
    ['The final answer is $12$.', '12', 'final answer phrase with math'],
    ['Answer: 3.5. Next we check.', '3.5', 'answer colon, sentence end after a decimal'],
    ['Work...\n#### 1,200', '1,200', 'GSM8K marker'],
    ['We find that $x = 7$.', 'x = 7', 'trailing inline math'],
    ['the sum is 41 apples', '41', 'last number of the last line'],
    ['no numbers at all', undefined, 'nothing to extract'],
    ['', undefined, 'empty'],
    ['\\boxed{}', undefined, 'empty box'],
    ['so $\\boxed{2}$, $\\boxed{3}$ and $\\boxed{5}$.', '\\{2, 3, 5\\}', 'boxes joined by "and" are one set'],
    ['\\boxed{(1,2)} \\text{ and } \\boxed{(2,1)}', '\\{(1,2), (2,1)\\}', 'boxes joined by \\text{ and }'],
    ['\\boxed{5} then more work \\boxed{6}', '6', 'boxes apart are not merged: the last counts'],
    ['Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.', '\\frac{3}{4}', 'Minerva style'],
    ['**Final Answer**\n\\[\n\\boxed{7}\n\\]', '7', 'R1 style heading and display box'],
    ['The answer is $3$ or $4$.', '3, 4', 'a hedge after the phrase keeps both'],
    ['Work: $a = 3$.\n\nCombining, we obtain\n\\[\nx \\in [-2, 7]\n\\]', 'x \\in [-2, 7]', 'closing display block'],
    ['Hence\n$$\n12{,}000\n$$', '12{,}000', 'closing $$ block'],
    ['\\[ 5 \\]\n\nThen we add 3 and get 8 in total.', '8', 'a display block followed by more numbers does not close'],
    ['Work with $a$.\n\nThus, the value of $k$ is 7.', '7', 'a number after the last math segment'],
    ['Solving, we get $x = 3$ or $x = -1$.', 'x = 3, x = -1', 'several math segments joined by "or"'],
    ['Solving, x = 3 or x = -1', 'x = 3 or x = -1', 'plain math after the last word'],
    ['They meet at 12:00.', '12:00', 'a time after the last word'],
    ['The code is XY2Z.', undefined, 'a digit glued to letters is not a number'],
    ['So there are 42 ways.\n\nI hope this helps!', '42', 'closing chatter without digits or math is skipped'],
    ['so the number is 10 which is 1,000.99m²', '1,000.99', 'a unit glued after a number'],
    ['Answer $ \n 9 \n $', '9', 'inline $ does not span lines: the plain 9 is the last sentence'],
    [
      'We compute:\n\\begin{align*}\nx &= 6 \\cdot 7 \\\\\n&= 42\n\\end{align*}',
      '42',
      'the last line of a closing align block',
    ],
    ['<think>x</think>\n\n**18**', '18', 'markdown bold around the whole answer'],
    ['Answer: `18`', '18', 'code ticks around the whole answer'],
    ['Final Answer: The volume of $ABCD$ is 120. I hope it is correct.', '120', "a number after the phrase's math"],
    [
      'Final Answer: Jane started 3 hours ago. I hope it is correct.',
      '3',
      'the number in a prose clause after the phrase',
    ],
    ['The answer is Tuesday.', 'Tuesday', 'a word answer after the phrase stays whole'],
    [
      'so $\\boxed{200}$ then $\\boxed{255}$. Final Answer: The final answer is $10,455$.',
      '10,455',
      'a final-answer phrase after the last box wins',
    ],
    ['The final answer is $4$. Checking again, $\\boxed{5}$.', '5', 'a box after the phrase wins'],
    [
      '$$\\boxed{(5, 5)} \\text{ for part (a) and } \\boxed{(2, 2)}$$',
      '\\{(5, 5), (2, 2)\\}',
      'boxes joined by a short \\text ending in "and"',
    ],
    [
      '$\\boxed{m = 12} \\quad \\text{and} \\quad \\boxed{t = 5}$',
      '\\{m = 12, t = 5\\}',
      '\\quad \\text{and} \\quad between boxes',
    ],
    ['$$\\boxed{31}$$ \\boxed{88}', '88', 'boxes with only delimiters between them are not joined'],
    ['\\boxed{5} \\text{ is wrong, so } \\boxed{6}', '6', 'a sentence between boxes does not join them'],
    ['It costs $\\$5$ in total.', '\\$5', 'an escaped dollar is not a math delimiter'],
  ];
  for (const [completion, expected, reason] of table) {
    it(`${reason}: ${JSON.stringify(completion)}`, () => {
      expect(extractAnswer(completion)).toBe(expected);
    });
  }

  it('honours the extraction targets', () => {
    const text = 'The answer is 4.\n\n\\[ 5 \\]';
    expect(extractAnswer(text)).toBe('4');
    expect(extractAnswer(text, ['latex', 'expr'])).toBe('5');
    // without the box target a line of pure math is taken whole (the parser still reads \boxed as grouping)
    expect(extractAnswer('\\boxed{3}', ['phrase', 'expr'])).toBe('\\boxed{3}');
    expect(extractAnswer('\\boxed{3} and so on', ['phrase'])).toBeUndefined();
    expect(extractAnswer('Answer $ \n 9 \n $', ['latex'])).toBeUndefined();
    expect(extractAnswer('Answer \\[ \n 9 \n \\]', ['latex'])).toBe('9');
  });

  it('stays linear on a 1 MB completion without markers', () => {
    const text = `${'a'.repeat(1_000_000)} 42`;
    expect(extractAnswer(text)).toBe('42');
  });

  it('returns undefined for an unbalanced box and does not scan past it forever', () => {
    expect(lastBoxed(`\\boxed{${'{'.repeat(100_000)}`)).toBeUndefined();
  });
});

describe('extractGold', () => {
  it('reads the last box of a worked solution', () => {
    expect(extractGold('We get $x=2$, so \\boxed{2}.')).toBe('2');
  });
  it('reads GSM8K gold after ####', () => {
    expect(extractGold('48/2 = 24\n#### 72')).toBe('72');
  });
  it('strips math delimiters', () => {
    expect(extractGold('$\\frac{1}{2}$')).toBe('\\frac{1}{2}');
  });
  it('has no answer for an empty box', () => {
    expect(extractGold('\\boxed{}')).toBeUndefined();
  });
});
