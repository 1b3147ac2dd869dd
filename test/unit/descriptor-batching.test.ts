/** The model descriptor holds the batching limits (models/<name>/model.yaml `batching`). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseDescriptor } from '../../src/model/descriptor.js';
import { PROJECT } from '../helpers/paths.js';

const FILE = path.join(PROJECT, 'models', 'resnet50', 'model.yaml');
const yaml = readFileSync(FILE, 'utf8');
const withoutBatching = yaml.slice(0, yaml.indexOf('\nbatching:'));

describe('model.yaml batching', () => {
  it('reads the limits from the descriptor', () => {
    expect(parseDescriptor(yaml, FILE).batching).toEqual({ maxBatchSize: 8, maxQueueDelayMs: 0 });
    expect(parseDescriptor(`${withoutBatching}\nbatching: { maxBatchSize: 16 }\n`, FILE).batching).toEqual({ maxBatchSize: 16, maxQueueDelayMs: 0 });
  });

  it('refuses limits out of range, naming the field', () => {
    expect(() => parseDescriptor(`${withoutBatching}\nbatching: { maxBatchSize: 0 }\n`, FILE)).toThrow(`model descriptor ${FILE}: field "batching.maxBatchSize" must be an integer from 1 to 256`);
    expect(() => parseDescriptor(`${withoutBatching}\nbatching: { maxQueueDelayMs: 2.5 }\n`, FILE)).toThrow('field "batching.maxQueueDelayMs" must be an integer from 0 to 10000');
  });

  it('leaves MAX_BATCH_SIZE / MAX_QUEUE_DELAY_MS undefined unless set (the descriptor decides)', () => {
    expect(loadConfig({})).toMatchObject({ maxBatchSize: undefined, maxQueueDelayMs: undefined });
    expect(loadConfig({ MAX_BATCH_SIZE: '4', MAX_QUEUE_DELAY_MS: '5' })).toMatchObject({ maxBatchSize: 4, maxQueueDelayMs: 5 });
  });
});
