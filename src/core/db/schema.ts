/**
 * Collection schemas: JSON Schema, compiled and checked by Ajv. A failing
 * document gets a SchemaValidationError naming the field (as a JSON pointer)
 * and saying what is wrong. A command whose result fails writes nothing; a
 * stored document that fails is kept out of the view (view.ts).
 */
import Ajv, { type ValidateFunction } from 'ajv'
import { SchemaValidationError } from './errors.ts'

/** A JSON Schema object describing the documents of a collection. */
export type JsonSchema = Record<string, unknown>

/** Checks a document: undefined when it passes, else the error saying why not. */
export type SchemaCheck = (doc: unknown) => SchemaValidationError | undefined

const ajv = new Ajv({ allErrors: true, strict: false })
/** One check per schema object, so declaring a collection again with the same schema changes nothing. */
const compiled = new WeakMap<JsonSchema, SchemaCheck>()

/** Returns the check of `schema`; a schema Ajv cannot compile throws at once. */
export function compileSchema (schema: JsonSchema): SchemaCheck {
  const known = compiled.get(schema)
  if (known !== undefined) return known
  let validate: ValidateFunction
  try {
    validate = ajv.compile(schema)
  } catch (cause) {
    throw new SchemaValidationError(`the collection schema is not valid JSON Schema: ${(cause as Error).message}`, [{ field: '', message: (cause as Error).message }], { cause })
  }
  const check: SchemaCheck = (doc) => {
    if (validate(doc)) return undefined
    const problems = (validate.errors ?? []).map((e) => ({ field: `${e.instancePath}${namedProperty(e.keyword, e.params)}`, message: e.message ?? 'is invalid' }))
    const first = problems[0]
    return new SchemaValidationError(
      first === undefined ? 'document does not match the schema' : `field "${first.field || '/'}" ${first.message}`,
      problems)
  }
  compiled.set(schema, check)
  return check
}

/** The property a document-level error is about (a missing or an extra one), as a pointer segment. */
function namedProperty (keyword: string, params: Record<string, unknown>): string {
  const name = keyword === 'required' ? params.missingProperty : keyword === 'additionalProperties' ? params.additionalProperty : undefined
  return name === undefined ? '' : `/${String(name).replaceAll('~', '~0').replaceAll('/', '~1')}`
}
