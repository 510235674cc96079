/**
 * Size limits of the source, checked in `npm test`: no file over 300 lines,
 * no function over 60 lines, none with more than 4 positional parameters
 * (pass an options object instead). Reads every .ts file under the given
 * directories (default: src) with the TypeScript parser and prints each
 * offender as `path:line: what`; exits 1 when there is one.
 *
 *   tsx scripts/check-size.ts [dir ...]
 *
 * A function's length runs from its first token (after its doc comment) to
 * its closing brace, nested functions included; a rest parameter counts as
 * one, `this` parameters not at all.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

export const MAX_FILE_LINES = 300
export const MAX_FUNCTION_LINES = 60
export const MAX_POSITIONAL_PARAMETERS = 4

/** One breach of a limit. */
export interface Offence {
  /** 1-based line where the file or function starts. */
  line: number
  message: string
}

/** Every .ts file under `dir` (declaration files excluded), sorted. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

/** A readable name of a function-like node: `name`, `Class.method`, `constructor`, or what it is assigned to. */
function nameOf(node: ts.SignatureDeclaration): string {
  const own = node.name && ts.isIdentifier(node.name) ? node.name.text : node.name?.getText()
  const owner = ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : ''
  if (ts.isConstructorDeclaration(node)) return `${owner}constructor`
  if (own) return `${owner}${own}`
  const parent = node.parent
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText()
  if (parent && ts.isCallExpression(parent)) return `callback of ${parent.expression.getText().slice(0, 40)}(…)`
  return '(anonymous function)'
}

/** The offences of one source file, as `{ line, message }`. */
export function checkSource(fileName: string, text: string): Offence[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const lineOf = (position: number): number => source.getLineAndCharacterOfPosition(position).line + 1
  const offences: Offence[] = []
  const lines = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length
  if (lines > MAX_FILE_LINES) offences.push({ line: 1, message: `file has ${lines} lines (max ${MAX_FILE_LINES})` })
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) {
      const positional = node.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === 'this')).length
      if (positional > MAX_POSITIONAL_PARAMETERS) {
        offences.push({ line: lineOf(node.getStart()), message: `${nameOf(node)} takes ${positional} positional parameters (max ${MAX_POSITIONAL_PARAMETERS}; use an options object)` })
      }
      if ('body' in node && node.body) {
        const length = lineOf(node.end) - lineOf(node.getStart()) + 1
        if (length > MAX_FUNCTION_LINES) offences.push({ line: lineOf(node.getStart()), message: `${nameOf(node)} is ${length} lines long (max ${MAX_FUNCTION_LINES})` })
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return offences
}

function main(dirs: string[]): void {
  let count = 0
  for (const file of dirs.flatMap(tsFiles)) {
    for (const { line, message } of checkSource(file, readFileSync(file, 'utf8'))) {
      count += 1
      console.error(`${relative(process.cwd(), file)}:${line}: ${message}`)
    }
  }
  if (count > 0) {
    console.error(`check-size: ${count} offence${count === 1 ? '' : 's'}`)
    process.exit(1)
  }
  console.log(`check-size: ${dirs.join(', ')} within limits (files ≤ ${MAX_FILE_LINES} lines, functions ≤ ${MAX_FUNCTION_LINES} lines and ≤ ${MAX_POSITIONAL_PARAMETERS} positional parameters)`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.length > 2 ? process.argv.slice(2) : ['src'])
