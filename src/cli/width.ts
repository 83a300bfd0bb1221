/**
 * The width text output is fitted to: the terminal's when the stream is one, else `COLUMNS` when set (as a shell
 * sets it, or a user for a pipe: `COLUMNS=40 tcpstate analyze FILE | less`), else 80.
 */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 0) return env;
  return 80;
}
