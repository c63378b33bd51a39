/**
 * The shared lifecycle: start and stop steps run once each whatever the calls,
 * a stop asked for during start waits for it and then undoes it, and a start
 * step that fails is undone and reported.
 */
import { describe, expect, it } from 'vitest'
import { createLifecycle } from '../../src/core/lifecycle.ts'

describe('lifecycle', () => {
  it('runs each step once, and a stop during start undoes it once the start is done', async () => {
    const steps: string[] = []
    let finishStart: () => void = () => {}
    const part = createLifecycle({
      what: 'A part',
      start: async () => { steps.push('start'); await new Promise<void>((resolve) => { finishStart = resolve }) },
      stop: () => { steps.push('stop') }
    })
    const starting = Promise.all([part.start(), part.start()])
    expect(part.state).toBe('starting')
    const stopping = Promise.all([part.stop(), part.stop()])
    await expect(part.start()).rejects.toMatchObject({ name: 'StoppedError', message: 'A part was stopped and cannot start again' })
    expect(steps).toEqual(['start'])
    finishStart()
    await starting
    await stopping
    expect(part.state).toBe('stopped')
    expect(steps).toEqual(['start', 'stop'])
  })

  it('undoes a start step that fails, reports its error, and stops nothing twice', async () => {
    const steps: string[] = []
    const part = createLifecycle({
      what: 'A part',
      start: () => { steps.push('start'); throw new RangeError('no room') },
      stop: () => { steps.push('stop') }
    })
    await expect(part.start()).rejects.toThrow('no room')
    expect(part.state).toBe('stopped')
    await part.stop()
    expect(steps).toEqual(['start', 'stop'])
  })

  it('stops a part never started without running its stop step', async () => {
    let stops = 0
    const part = createLifecycle({ what: 'A part', stop: () => { stops++ } })
    await part.stop()
    expect(part.state).toBe('stopped')
    expect(stops).toBe(0)
  })
})
