// The outcome of a check that can fail with a message for the operator.

/** Coercions and splitters return this instead of throwing, so every problem of a file is collected. */
export type Result<T> = { ok: true; value: T } | { ok: false; message: string };
