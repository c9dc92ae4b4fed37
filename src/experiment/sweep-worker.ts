/**
 * A child process of a parallel sweep: says it is ready, then runs the points it is sent over IPC,
 * one at a time, and exits when its parent disconnects (or dies). While a point runs, its progress
 * and message lines go to the parent as messages (src/experiment/sweep.ts, WorkerMessage), which
 * shows them on its display; the point's reply comes last.
 */
import { exitCleanlyOnSignals } from '../util/output.js';
import type { ProgressJob } from '../util/progress.js';
import { runPointTask, type WorkerMessage } from './sweep.js';

exitCleanlyOnSignals();

if (!process.send) throw new Error('sweep-worker.js must run as a child process with an IPC channel');
const send = (m: WorkerMessage): void => {
  if (process.connected) process.send!(m);
};
const job: ProgressJob = {
  update: (progress) => send({ progress }),
  log: (line) => send({ log: line.replace(/\n$/, '') }),
  end: () => {},
};
process.on('message', (task: Parameters<typeof runPointTask>[0]) => {
  void runPointTask(task, task.progress ? job : undefined).then((reply) => send(reply));
});
process.on('disconnect', () => process.exit(0));
send({ ready: true });
