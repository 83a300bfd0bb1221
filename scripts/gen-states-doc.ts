// Writes docs/states.md from the same data `tcpstate explain` prints, so the doc cannot drift from the tool.
// Run: npx tsx scripts/gen-states-doc.ts  (a test checks the committed file equals this output)
import { writeFileSync } from 'node:fs';
import { renderStatesDoc } from '../src/states/explain/markdown.ts';

writeFileSync(new URL('../docs/states.md', import.meta.url), renderStatesDoc());
