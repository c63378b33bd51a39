/**
 * Collection schemas: JSON Schema, compiled and checked by Ajv. A failing
 * document gets a SchemaValidationError naming the field (as a JSON pointer)
 * and saying what is wrong; the command then writes nothing.
 */
import Ajv, { type ValidateFunction } from 'ajv'
import { SchemaValidationError } from './errors.ts'

/** A JSON Schema object describing the documents of a collection. */
export type JsonSchema = Record<string, unknown>

const ajv = new Ajv({ allErrors: true, strict: false })
const compiled = new WeakMap<JsonSchema, ValidateFunction>()

/** Returns a validator for `schema`; a schema Ajv cannot compile throws at once. */
export function compileSchema (schema: JsonSchema): (doc: unknown) => void {
  let validate = compiled.get(schema)
  if (validate === undefined) {
    try {
      validate = ajv.compile(schema)
    } catch (cause) {
      throw new SchemaValidationError(`the collection schema is not valid JSON Schema: ${(cause as Error).message}`, [{ field: '', message: (cause as Error).message }], { cause })
    }
    compiled.set(schema, validate)
  }
  const check = validate
  return (doc) => {
    if (check(doc)) return
    const problems = (check.errors ?? []).map((e) => {
      const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : ''
      return { field: `${e.instancePath}${missing}`, message: e.message ?? 'is invalid' }
    })
    const first = problems[0]
    throw new SchemaValidationError(
      first === undefined ? 'document does not match the schema' : `field "${first.field || '/'}" ${first.message}`,
      problems)
  }
}
