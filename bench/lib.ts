/** Small helpers for benchmarks: timing, bounded concurrency and result rows. */

/** Runs `count` calls of `task`, at most `concurrency` in flight; returns operations per second. */
export async function rate (count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const start = performance.now()
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++)
  })
  await Promise.all(lanes)
  return count / ((performance.now() - start) / 1000)
}

/** The median of a non-empty list. */
export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Prints one result row: a rate, its baseline and their ratio against a goal. */
export function report (name: string, value: number, baselineName: string, baseline: number, goalRatio: number): boolean {
  const ratio = value / baseline
  const ok = ratio >= goalRatio
  console.log(`${name.padEnd(44)} ${value.toFixed(0).padStart(8)}/s   ${baselineName.padEnd(36)} ${baseline.toFixed(0).padStart(8)}/s   ratio ${ratio.toFixed(2)} (goal ≥ ${Number(goalRatio.toFixed(2))}) ${ok ? 'ok' : 'BELOW GOAL'}`)
  return ok
}

/**
 * Prints one result row from rounds that measured a rate and its baseline
 * back to back: median rates, and the median and range of the per-round
 * ratios, the median judged against the goal. Pairing each round's rate with
 * its own baseline keeps a burst of machine load from landing on one side only.
 */
export function reportRounds (name: string, values: readonly number[], baselineName: string, baselines: readonly number[], goalRatio: number): boolean {
  const ratios = values.map((value, i) => value / baselines[i]!)
  const ratio = median(ratios)
  const ok = ratio >= goalRatio
  const range = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`
  console.log(`${name.padEnd(44)} ${median(values).toFixed(0).padStart(8)}/s   ${baselineName.padEnd(36)} ${median(baselines).toFixed(0).padStart(8)}/s   ratio ${ratio.toFixed(2)} (${range} over ${ratios.length} rounds; goal ≥ ${Number(goalRatio.toFixed(2))}) ${ok ? 'ok' : 'BELOW GOAL'}`)
  return ok
}
