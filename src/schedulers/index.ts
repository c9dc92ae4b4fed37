/** Registers the built-in schedulers. Import this module before looking schedulers up. */
import './fifo.js';
import './clipper.js';
import './infaas.js';
import './triton.js';
import './clockwork/index.js';

export { getScheduler, schedulerNames } from './registry.js';
