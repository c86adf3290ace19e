import { Ajv2020 } from "ajv/dist/2020.js";

/**
 * Ajv for JSON Schema 2020-12, OpenAPI 3.1's dialect. Formats (email, uri, uuid) are not checked here: the zod
 * schemas that the document is made from check them where input arrives.
 */
export function newAjv(): Ajv2020 {
  return new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
}
