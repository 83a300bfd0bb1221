import { writeFileSync } from 'node:fs';
import { SourceError } from '../errors.ts';

/** Writes an output file the user named (--svg, --html, -o): a path that cannot be written is their mistake, not a bug. */
export function writeOutputFile(path: string, content: string): void {
  try {
    writeFileSync(path, content);
  } catch (error) {
    throw new SourceError(`cannot write: ${(error as Error).message}`, path, error);
  }
}
