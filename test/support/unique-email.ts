let counter = 0;

/** An e-mail address no other test (file, worker or run) uses. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${process.pid}-${Date.now()}-${counter++}@example.com`;
}
