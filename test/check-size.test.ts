/** scripts/check-size.ts, the size limits `npm test` holds src/ to: what it flags and how it names it. */
import { describe, expect, it } from 'vitest'
import { MAX_FILE_LINES, MAX_FUNCTION_LINES, checkSource } from '../scripts/check-size.js'

const lines = (count: number, text: string): string => Array.from({ length: count }, () => text).join('\n')
/** A function declaration spanning exactly `length` lines. */
const functionOf = (name: string, length: number): string => `export function ${name}(): void {\n${lines(length - 2, '  void 0')}\n}\n`

describe('check-size', () => {
  it('accepts a file, a function and a parameter list at the limits', () => {
    const source = `${functionOf('long', MAX_FUNCTION_LINES)}export function four(a: number, b: number, c: number, d: number): number {\n  return a + b + c + d\n}\n`
    const padded = `${source}${lines(MAX_FILE_LINES - source.split('\n').length + 1, '// filler')}\n`
    expect(padded.split('\n').length - 1).toBe(MAX_FILE_LINES)
    expect(checkSource('ok.ts', padded)).toEqual([])
  })

  it('names a file over 300 lines', () => {
    expect(checkSource('big.ts', `${lines(MAX_FILE_LINES + 1, '// x')}\n`)).toEqual([{ line: 1, message: `file has ${MAX_FILE_LINES + 1} lines (max ${MAX_FILE_LINES})` }])
  })

  it('names a function, method, arrow or callback over 60 lines, with where it starts', () => {
    const body = lines(MAX_FUNCTION_LINES - 1, '    void 0')
    const source = [
      functionOf('declared', MAX_FUNCTION_LINES + 1),
      `class Store {\n  get(): void {\n${body}\n  }\n}`,
      `const arrow = () => {\n${body}\n}`,
      `describe('x', () => {\n${body}\n})`,
    ].join('\n')
    expect(checkSource('long.ts', source).map((o) => o.message)).toEqual([
      `declared is ${MAX_FUNCTION_LINES + 1} lines long (max ${MAX_FUNCTION_LINES})`,
      `Store.get is ${MAX_FUNCTION_LINES + 1} lines long (max ${MAX_FUNCTION_LINES})`,
      `arrow is ${MAX_FUNCTION_LINES + 1} lines long (max ${MAX_FUNCTION_LINES})`,
      `callback of describe(…) is ${MAX_FUNCTION_LINES + 1} lines long (max ${MAX_FUNCTION_LINES})`,
    ])
    // declared takes lines 1-61, then a blank line and `class Store {`: get() starts on line 64
    expect(checkSource('long.ts', source).map((o) => o.line).slice(0, 2)).toEqual([1, MAX_FUNCTION_LINES + 4])
  })

  it('names more than 4 positional parameters, constructors and signatures included; `this` does not count', () => {
    const source = [
      'export function five(a: 1, b: 2, c: 3, d: 4, e: 5): void {}',
      'class Job { constructor(a: 1, b: 2, c: 3, d: 4, private e: 5) {} }',
      'declare function overloaded(a: 1, b: 2, c: 3, d: 4, ...rest: 5[]): void',
      'function bound(this: object, a: 1, b: 2, c: 3, d: 4): void {}',
      'function options({ a, b, c, d, e }: Record<string, number>): void {}',
    ].join('\n')
    expect(checkSource('params.ts', source)).toEqual([
      { line: 1, message: 'five takes 5 positional parameters (max 4; use an options object)' },
      { line: 2, message: 'Job.constructor takes 5 positional parameters (max 4; use an options object)' },
      { line: 3, message: 'overloaded takes 5 positional parameters (max 4; use an options object)' },
    ])
  })
})
