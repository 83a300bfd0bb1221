import { diagnose } from '../diagnose/index.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** How watch and record get findings for a look. */
export type DiagnoseFn = (snapshot: Snapshot, previous?: Snapshot) => Finding[];

export const noDiagnosis: DiagnoseFn = () => [];

/** The diagnosis engine with default thresholds, using the previous look for rates and ages. */
export const defaultDiagnosis: DiagnoseFn = (snapshot, previous) => diagnose(snapshot, {}, previous);
