/** Registers the built-in workload types. Import this module before looking workloads up. */
import './poisson.js';
import './closed-loop.js';

export { getWorkload, workloadNames } from './registry.js';
