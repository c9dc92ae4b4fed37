/**
 * The controller's model of one executor of one GPU (docs/clockwork-model.md, "Predictions"; the
 * released code's WorkerTracker):
 *   free_at = max(work_begin + sum of estimates of outstanding actions, now + startDelay)
 * Work added to an idle timeline (nothing outstanding) sets work_begin = now; work added behind
 * outstanding work leaves it alone. On every result the action leaves the outstanding list and, if
 * it succeeded, work_begin becomes its measured end. If the oldest outstanding action is overdue by
 * more than `lag` (its expected end work_begin + estimate lies more than `lag` in the past), it is
 * assumed to have started at now - lag - estimate. One timeline models GPU execution, another the
 * PCIe weights lane.
 */
import { Fifo } from '../../sim/fifo.js';

export class Timeline {
  workBegin = 0;
  /** Outstanding actions in send order: ids and estimates. */
  private readonly ids = new Fifo<number>();
  private readonly ests = new Fifo<number>();
  private sum = 0;

  constructor(
    private readonly startDelay: number,
    private readonly lag: number,
  ) {}

  get outstanding(): number {
    return this.ids.length;
  }

  freeAt(now: number): number {
    let wb = this.workBegin;
    const e0 = this.ests.peek();
    if (e0 !== undefined && now - (wb + e0) > this.lag) wb = now - this.lag - e0;
    return Math.max(wb + this.sum, now + this.startDelay);
  }

  /**
   * An action was sent at `now`. On an idle timeline work_begin becomes `now` (not the planned
   * start, which the startDelay floor puts at now + startDelay or later: as released, the model
   * then expects the work to end startDelay earlier than the plan did).
   */
  add(id: number, estimate: number, now: number): void {
    if (this.ids.length === 0) this.workBegin = now;
    this.ids.push(id);
    this.ests.push(estimate);
    this.sum += estimate;
  }

  /** A result came back: drop the action; on success the executor is known to be free from `end`. */
  complete(id: number, end: number | undefined): void {
    const n = this.ids.length;
    let i = 0;
    while (i < n && this.ids.at(i) !== id) i++;
    if (i < n) {
      this.sum -= this.ests.at(i)!;
      this.ids.removeAt(i);
      this.ests.removeAt(i);
    }
    if (end !== undefined) this.workBegin = end;
  }
}
