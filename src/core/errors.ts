// One vocabulary for failures: a code per failure an operator can meet, one failure type, and one
// way to name a system error. The README's "Error codes" section lists the same codes (a test checks).

/** Names a system error the way every message does: its errno code (`ENOENT`), else its message. */
export function describeErrno(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return code;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

/** The errno code of a system error (`ENOENT`), or null when it has none. */
export function errnoOf(err: unknown): string | null {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : null;
}
