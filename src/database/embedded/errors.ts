/** A failure of the embedded database whose message is the whole story: main.ts prints it as one line. */
export class EmbeddedPostgresError extends Error {}

/** The last line of a failed program's stderr (else of the error's message): where pg_ctl and initdb say what went wrong. */
export function lastLine(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(error)).trim().split('\n').pop() ?? '';
}
