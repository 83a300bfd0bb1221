import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** How watch and record get findings for a look; the diagnosis engine plugs in here. */
export type DiagnoseFn = (snapshot: Snapshot, previous?: Snapshot) => Finding[];

export const noDiagnosis: DiagnoseFn = () => [];
