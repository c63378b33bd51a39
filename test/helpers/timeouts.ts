/**
 * Test timeouts for work that scales with the machine's load. Vitest's default of
 * 5 s is a timing assertion in disguise: a test that signs, seals and verifies
 * hundreds of records, runs a property over many seeds, or syncs to disk takes a
 * second alone and several times that on a busy 2-core machine. Such a test (or its
 * describe block) takes one of these instead; a test waiting for something polls
 * for the condition, within the same bound.
 */

/** CPU-bound work: records created and verified by the hundred, property runs, fsyncs. */
export const LOADED_MACHINE_TIMEOUT_MS = 60_000
