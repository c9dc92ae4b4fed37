import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { experimentJsonSchema } from '../src/experiment/config.js';
import { jsonText } from '../src/util/output.js';
import { profileJsonSchema } from '../src/models/profile.js';

describe('committed JSON Schemas', () => {
  it('docs/experiment.schema.json and docs/profile.schema.json match the code (regenerate with `servesim schema`)', () => {
    expect(readFileSync('docs/experiment.schema.json', 'utf8')).toBe(jsonText(experimentJsonSchema()));
    expect(readFileSync('docs/profile.schema.json', 'utf8')).toBe(jsonText(profileJsonSchema()));
  });

  it('lists every scheduler and workload type with its options', () => {
    const s = experimentJsonSchema() as { $defs: { schedulerOptions: Record<string, any>; workloadOptions: Record<string, any> } };
    expect(Object.keys(s.$defs.schedulerOptions)).toEqual(expect.arrayContaining(['clockwork', 'fifo', 'clipper', 'infaas', 'triton']));
    expect(Object.keys(s.$defs.schedulerOptions.clockwork.properties)).toContain('scheduleAhead');
    expect(Object.keys(s.$defs.workloadOptions)).toEqual(expect.arrayContaining(['poisson', 'closed-loop', 'azure-2019']));
  });
});
