/** Registers the built-in schedulers. Import this module before looking schedulers up. */
import './fifo.js';

export { getScheduler, schedulerNames } from './registry.js';
