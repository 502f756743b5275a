// The content classifier seam (built-in keyword classifier over risk-control lists; a custom classifier through the
// interface), drop/tag per category, config errors; the licence-marker filter; the consent step.
import { describe, expect, it } from 'vitest';
import { consentStep, pseudonymiseId } from '../consent.js';
import type { DataRecord } from '../record.js';
import { type ContentClassifier, contentStep, keywordClassifier } from './classifier.js';
import { licenceStep } from './licence.js';

const rec = (text: string, fields: Record<string, unknown> = {}): DataRecord => ({
  id: 'r',
  source: { file: 'f' },
  text,
  fields,
  tags: [],
});

const LIST = {
  version: 1 as const,
  categories: [
    { id: 'weapons', terms: ['bomb', 'blastkit'] },
    { id: 'violence', terms: ['kill', '违禁词'], allow: ['kill the process', 'kill -9'] },
    { id: 'spam', terms: ['buy now'] },
  ],
};

describe('keywordClassifier', () => {
  const c = keywordClassifier(LIST);
  it.each([
    ['how to build a bomb', ['weapons']],
    ['A BOMB and a kill', ['weapons', 'violence']],
    ['bombastic speech', []],
    ['kill the process with kill -9', []],
    ['这里有违禁词内容', ['violence']],
    ['skill and killer', []],
    ['Buy  now!', []],
    ['buy now!', ['spam']],
  ])('%s → %j', (text, categories) => {
    expect(c.classify(text)).toEqual({ categories });
  });
  it('refuses a category defined twice', () => {
    expect(() => keywordClassifier([LIST, LIST])).toThrow(/'weapons' is defined twice/);
  });
});

describe('contentStep', () => {
  it('drops or tags per category', async () => {
    const step = contentStep(keywordClassifier(LIST), { actions: { spam: 'tag' } });
    expect(await step.process(rec('a bomb'))).toEqual({ action: 'drop', reason: 'content:weapons' });
    const r = rec('buy now, limited offer');
    expect(await step.process(r)).toEqual({ action: 'edit' });
    expect(r.tags).toEqual(['content:spam']);
    expect(await step.process(rec('a calm text'))).toEqual({ action: 'keep' });
    expect(step.report?.()).toEqual({ recordsPerCategory: { weapons: 1, spam: 1 } });
  });
  it('works with any classifier, async too, and checks category names', async () => {
    const model: ContentClassifier = {
      categories: ['toxic'],
      classify: async (text) => ({ categories: text.includes('idiot') ? ['toxic'] : [] }),
    };
    expect(await contentStep(model).process(rec('you idiot'))).toEqual({ action: 'drop', reason: 'content:toxic' });
    expect(() => contentStep(model, { actions: { spam: 'tag' } })).toThrow(/unknown category 'spam'.*toxic/);
  });
});

describe('licenceStep', () => {
  it.each([
    ['© 2021 Example Corp. All Rights Reserved.', 'drop'],
    ['版权所有，未经许可不得转载。', 'drop'],
    ['Licensed under the Apache License, Version 2.0.', 'keep'],
    ['The rights of all people are reserved for later discussion.', 'keep'],
  ])('%s → %s', (text, action) => {
    const out = licenceStep().process(rec(text));
    expect(out.action).toBe(action);
  });
  it('tags instead of dropping, and takes custom phrases and minHits', () => {
    const step = licenceStep({ action: 'tag', phrases: ['internal use only', 'confidential'], minHits: 2 });
    const r = rec('CONFIDENTIAL — internal   use only');
    expect(step.process(r)).toEqual({ action: 'edit' });
    expect(r.tags).toEqual(['licence']);
    expect(step.process(rec('confidential'))).toEqual({ action: 'keep' });
  });
});

describe('consentStep', () => {
  const env = { AHA_SECRET: 'a-long-enough-secret-key' };
  it('drops opted-out users, pseudonymises the rest with a keyed hash', () => {
    const step = consentStep({ optOut: ['u2 '], pseudonymise: { secretEnv: 'AHA_SECRET' } }, env);
    const kept = rec('hi', { user_id: 'u1' });
    expect(step.process(kept)).toEqual({ action: 'edit' });
    expect(kept.fields.user_id).toBe(pseudonymiseId('u1', env.AHA_SECRET));
    expect(kept.fields.user_id).toMatch(/^[0-9a-f]{32}$/);
    expect(pseudonymiseId('u1', 'another-secret-key!!')).not.toBe(kept.fields.user_id);
    expect(step.process(rec('hi', { user_id: 'u2' }))).toEqual({ action: 'drop', reason: 'consent:opted-out' });
    expect(step.process(rec('no user'))).toEqual({ action: 'keep' });
  });
  it('a configurable column, missing ids, and config errors', () => {
    const step = consentStep({ column: 'author', optOut: ['7'], missing: 'drop' });
    expect(step.process(rec('x', { author: 7 }))).toEqual({ action: 'drop', reason: 'consent:opted-out' });
    expect(step.process(rec('x', { user_id: '7' }))).toEqual({ action: 'drop', reason: 'consent:no-user-id' });
    expect(() => consentStep({ pseudonymise: { secretEnv: 'NOPE' } }, {})).toThrow(/NOPE is not set/);
    expect(() => consentStep({ pseudonymise: { secretEnv: 'S' } }, { S: 'short' })).toThrow(/at least 16/);
    expect(() => consentStep({}, {})).toThrow(/would do nothing/);
  });
});
