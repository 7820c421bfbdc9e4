/**
 * The JSON Schema of scenario files, generated from the zod schema (input side: durations and
 * quantities as strings) for editors: `# yaml-language-server: $schema=./scenario.schema.json`.
 *
 * As a script (`node dist/scenarios/export-schema.js [out.json]`) it writes
 * scenarios/scenario.schema.json of this package. The committed file is kept in sync by
 * test/unit/scenario-schema.test.ts (UPDATE_SCHEMA=1 rewrites it).
 */
import { existsSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/** A name, not a location: editors find the file through the `$schema=` modeline. */
export const SCENARIO_SCHEMA_ID = 'urn:rehearse:scenario:v1';

/** Draft-07, the draft that yaml-language-server and VS Code support best. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-7' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: SCENARIO_SCHEMA_ID,
    title: 'rehearse scenario (format v1)',
    description:
      'A BinderHub workshop rehearsal: the hub under test, the repo attendees launch, when they ' +
      'arrive (cohorts), what they run (session) and the SLOs the run is judged by.',
    ...rest,
  };
}

/** The text written to scenario.schema.json: two-space JSON with a final newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

/** scenarios/scenario.schema.json of this package, from source (scenarios/) or build (dist/scenarios/). */
export function defaultSchemaPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('export-schema: no package.json above this module');
    dir = parent;
  }
  return path.join(dir, 'scenarios', 'scenario.schema.json');
}

export async function writeScenarioJsonSchema(file: string = defaultSchemaPath()): Promise<string> {
  await writeFile(file, scenarioJsonSchemaText());
  return file;
}

const script = process.argv[1];
const runAsScript =
  script !== undefined && existsSync(script) && import.meta.url === pathToFileURL(realpathSync(script)).href;
if (runAsScript) {
  const written = await writeScenarioJsonSchema(process.argv[2]);
  process.stdout.write(`wrote ${written}\n`);
}
