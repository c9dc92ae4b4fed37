/** Registers the `clockwork` scheduler. */
import { registerScheduler } from '../registry.js';
import { clockworkOptions } from './options.js';
import { ClockworkScheduler } from './scheduler.js';

export { ClockworkScheduler } from './scheduler.js';
export { clockworkOptions, SUPPORTED_BATCH_SIZES, type ClockworkOptions } from './options.js';

registerScheduler({
  name: 'clockwork',
  description:
    'Clockwork (OSDI 2020, INFER5): predictable central scheduling with per-GPU timelines, deadline-aware batching, demand-driven LOAD/EVICT',
  options: clockworkOptions,
  create: (o) => new ClockworkScheduler(o),
  engine: (o) => ({ sendConcurrency: o.sendConcurrency, execConcurrency: 1 }),
});
