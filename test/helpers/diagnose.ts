import { expect } from 'vitest';
import { diagnose as realDiagnose } from '../../src/diagnose/index.ts';

/** Rules seen (with a Chinese title) by the tests that use this wrapper. */
export const rulesSeen = new Set<string>();

/**
 * `diagnose`, checking every finding it returns has a Chinese title as well as the English one: the rules build
 * their titles from the numbers they found, so only running them shows a title left untranslated.
 */
export function diagnose(...args: Parameters<typeof realDiagnose>): ReturnType<typeof realDiagnose> {
  const findings = realDiagnose(...args);
  for (const f of findings) {
    expect(f.titleZh, `${f.rule}: ${f.title}`).toMatch(/[\u4e00-\u9fff]/);
    expect(f.titleZh).not.toMatch(/undefined|NaN|\[object/);
    // Every missing-data note has its Chinese (missing-zh.ts), one for one.
    expect(f.missingZh?.length, `${f.rule}: missingZh`).toBe(f.missing?.length);
    for (const note of f.missingZh ?? []) expect(note, `${f.rule}: ${note}`).toMatch(/[\u4e00-\u9fff]/);
    rulesSeen.add(f.rule);
  }
  return findings;
}
