/** Registers the built-in schedulers. Import this module before looking schedulers up. */
import './fifo.js';
import './clockwork/index.js';

export { getScheduler, schedulerNames } from './registry.js';
