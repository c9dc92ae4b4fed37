/**
 * A child process of a parallel sweep: says it is ready, then runs the points it is sent over IPC,
 * one at a time, and exits when its parent disconnects (or dies).
 */
import { exitCleanlyOnSignals } from '../util/output.js';
import { runPointTask } from './sweep.js';

exitCleanlyOnSignals();

if (!process.send) throw new Error('sweep-worker.js must run as a child process with an IPC channel');
process.on('message', (task: Parameters<typeof runPointTask>[0]) => {
  void runPointTask(task).then((reply) => process.send!(reply));
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
