/** Registers the built-in workload types. Import this module before looking workloads up. */
import './poisson.js';
import './closed-loop.js';
import './azure2019.js';
import './azure2021.js';
import './timestamps.js';
import './paper-workloads.js';

export { getWorkload, workloadNames } from './registry.js';
