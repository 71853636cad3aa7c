// Ajv (draft 2020-12) over the package's schema files, for tests: the manifest, the result envelope, action results.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import { repoRoot } from './paths';

const cache = new Map<string, ValidateFunction>();

/** A validator for a schema file (absolute, or relative to the repository root). */
export function validatorFor(file: string): ValidateFunction {
  const abs = path.resolve(repoRoot, file);
  let v = cache.get(abs);
  if (!v) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    ajv.addVocabulary(['x-dropdown', 'x-list']);
    // relative $refs resolve against the file's $id; load the common schemas under their ids
    for (const common of fs.readdirSync(path.join(repoRoot, 'schemas', 'common')).filter((f) => f.endsWith('.schema.json')).sort()) {
      ajv.addSchema(JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas', 'common', common), 'utf8')));
    }
    const schema = JSON.parse(fs.readFileSync(abs, 'utf8'));
    v = ajv.getSchema(schema.$id) ?? ajv.compile(schema);
    cache.set(abs, v);
  }
  return v;
}

export const envelopeValidator = (): ValidateFunction => validatorFor('schemas/common/result.schema.json');
