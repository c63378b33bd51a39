/** Group commit: writes given together, or while a group is written, go in one group; each settles with its group. */
import { describe, expect, it } from 'vitest'
import { groupWrites } from '../../src/core/group-writes.ts'

/** A store whose writes wait until released, recording each group. */
function slowStore () {
  const groups: number[][] = []
  const release: Array<(error?: Error) => void> = []
  const write = groupWrites<number>(async (items) => {
    groups.push(items)
    await new Promise<void>((resolve, reject) => { release.push((error) => { if (error === undefined) resolve(); else reject(error) }) })
  })
  const waitForGroups = async (n: number): Promise<void> => { while (groups.length < n) await new Promise((resolve) => setTimeout(resolve, 1)) }
  return { groups, release, write, waitForGroups }
}

describe('group writes', () => {
  it('writes the items of one turn as one group, and those given meanwhile as the next, in order', async () => {
    const { groups, release, write, waitForGroups } = slowStore()
    const first = [1, 2, 3].map((i) => write(i))
    await waitForGroups(1)
    const later = [4, 5].map((i) => write(i))
    await new Promise((resolve) => setTimeout(resolve, 5))
    const last = write(6)
    expect(groups).toEqual([[1, 2, 3]]) // nothing else starts while a group is written
    release[0]!()
    await Promise.all(first)
    await waitForGroups(2)
    expect(groups[1]).toEqual([4, 5, 6])
    release[1]!()
    await Promise.all([...later, last])
  })

  it('fails the items of a failed group with its error, and still writes the next', async () => {
    const { groups, release, write, waitForGroups } = slowStore()
    const failing = [write(1), write(2)]
    await waitForGroups(1)
    const next = write(3)
    release[0]!(new Error('disk full'))
    for (const one of failing) await expect(one).rejects.toThrow('disk full')
    await waitForGroups(2)
    expect(groups[1]).toEqual([3])
    release[1]!()
    await expect(next).resolves.toBeUndefined()
  })
})
