import type { CatalogSchema, JsonSchema } from './jsonSchema.js';

export type BreakingChange = { path: string; reason: string };

type Schema = JsonSchema | boolean;

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isUnconstrained = (schema: Schema) => schema === true || (isObject(schema) && Object.keys(schema).length === 0);

function allowedValues(schema: JsonSchema): unknown[] | undefined {
  if ('const' in schema) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : undefined;
}

function allowedTypes(schema: JsonSchema): string[] | undefined {
  if (typeof schema.type === 'string') return [schema.type];
  return Array.isArray(schema.type) ? (schema.type as string[]) : undefined;
}

const num = (value: unknown) => (typeof value === 'number' ? value : undefined);

/**
 * Records every way `narrow` may accept a value that `wide` rejects, i.e. why `narrow` is not a
 * subset of `wide`. Conservative: when it cannot prove a subset, it reports one.
 */
function checkSubset(narrow: Schema, wide: Schema, path: string, out: BreakingChange[]): void {
  if (isUnconstrained(wide) || narrow === false) return;
  if (wide === false) {
    out.push({ path, reason: 'nothing was accepted here before' });
    return;
  }
  if (narrow === true || !isObject(narrow) || !isObject(wide)) {
    out.push({ path, reason: 'now accepts anything where it was constrained' });
    return;
  }

  const narrowBranches = (narrow.anyOf ?? narrow.oneOf) as Schema[] | undefined;
  if (narrowBranches) {
    for (const [index, branch] of narrowBranches.entries()) checkSubset(branch, wide, `${path}|${index}`, out);
    return;
  }
  const wideBranches = (wide.anyOf ?? wide.oneOf) as Schema[] | undefined;
  if (wideBranches) {
    const fits = wideBranches.some((branch) => {
      const problems: BreakingChange[] = [];
      checkSubset(narrow, branch, path, problems);
      return problems.length === 0;
    });
    if (!fits) out.push({ path, reason: 'matches none of the alternatives it had to match' });
    return;
  }

  const wideValues = allowedValues(wide);
  if (wideValues) {
    const narrowValues = allowedValues(narrow);
    if (!narrowValues) out.push({ path, reason: `was one of ${JSON.stringify(wideValues)}, now any value` });
    else {
      const added = narrowValues.filter(
        (value) => !wideValues.some((w) => JSON.stringify(w) === JSON.stringify(value)),
      );
      if (added.length > 0) out.push({ path, reason: `values ${JSON.stringify(added)} were not allowed` });
    }
  }

  const wideTypes = allowedTypes(wide);
  if (wideTypes) {
    const narrowTypes = allowedTypes(narrow);
    if (!narrowTypes && !allowedValues(narrow)) out.push({ path, reason: `type was ${wideTypes.join('|')}, now any` });
    for (const type of narrowTypes ?? []) {
      const accepted = wideTypes.includes(type) || (type === 'integer' && wideTypes.includes('number'));
      if (!accepted) out.push({ path, reason: `type ${type} was not accepted (was ${wideTypes.join('|')})` });
    }
  }

  const lower = (key: string) => {
    const bound = num(wide[key]);
    if (bound !== undefined && (num(narrow[key]) ?? Number.NEGATIVE_INFINITY) < bound) {
      out.push({ path, reason: `${key} lowered below ${bound}` });
    }
  };
  const upper = (key: string) => {
    const bound = num(wide[key]);
    if (bound !== undefined && (num(narrow[key]) ?? Number.POSITIVE_INFINITY) > bound) {
      out.push({ path, reason: `${key} raised above ${bound}` });
    }
  };
  for (const key of ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties']) lower(key);
  for (const key of ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties']) upper(key);
  for (const key of ['pattern', 'format']) {
    if (wide[key] !== undefined && narrow[key] !== wide[key]) out.push({ path, reason: `${key} changed` });
  }

  if (wide.items !== undefined && !Array.isArray(wide.items)) {
    checkSubset((narrow.items as Schema | undefined) ?? true, wide.items as Schema, `${path}[]`, out);
  }

  const wideProps = (wide.properties ?? {}) as Record<string, Schema>;
  const narrowProps = (narrow.properties ?? {}) as Record<string, Schema>;
  const narrowRequired = (narrow.required ?? []) as string[];
  for (const key of (wide.required ?? []) as string[]) {
    if (!narrowRequired.includes(key))
      out.push({ path: `${path}.${key}`, reason: 'required before, now optional or removed' });
  }
  for (const [key, wideProp] of Object.entries(wideProps)) {
    const narrowProp = narrowProps[key];
    if (narrowProp !== undefined) checkSubset(narrowProp, wideProp, `${path}.${key}`, out);
  }
  // A property the wide side never knew is harmless: parsers strip unknown keys on the receiving
  // side. Records (additionalProperties as a schema) still constrain their values.
  if (isObject(wide.additionalProperties)) {
    const narrowExtra = narrow.additionalProperties;
    checkSubset(isObject(narrowExtra) ? narrowExtra : true, wide.additionalProperties, `${path}{}`, out);
  }
}

/**
 * What `next` breaks for peers built against `previous`. Values the server sends (event payloads,
 * acks, REST responses) may only narrow; values clients send (requests) may only widen; nothing
 * may disappear.
 */
export function findBreakingChanges(previous: CatalogSchema, next: CatalogSchema): BreakingChange[] {
  const out: BreakingChange[] = [];
  checkSubset(previous.handshake, next.handshake, 'handshake', out);
  for (const [name, before] of Object.entries(previous.serverToClient)) {
    const after = next.serverToClient[name];
    if (!after) out.push({ path: `serverToClient.${name}`, reason: 'event removed' });
    else checkSubset(after.payload, before.payload, `serverToClient.${name}`, out);
  }
  for (const [name, before] of Object.entries(previous.clientToServer)) {
    const after = next.clientToServer[name];
    if (!after) {
      out.push({ path: `clientToServer.${name}`, reason: 'event removed' });
      continue;
    }
    checkSubset(before.request, after.request, `clientToServer.${name}.request`, out);
    checkSubset(after.response, before.response, `clientToServer.${name}.response`, out);
  }
  for (const [name, before] of Object.entries(previous.rest)) {
    const after = next.rest[name];
    if (!after) out.push({ path: `rest.${name}`, reason: 'DTO removed' });
    else if (before.direction === 'request') checkSubset(before.schema, after.schema, `rest.${name}`, out);
    else checkSubset(after.schema, before.schema, `rest.${name}`, out);
  }
  return out;
}
