/**
 * requests.csv: one line per request, streamed to disk while the simulation runs (buffered, so the
 * cost is a string concatenation per response and a write per ~1 MiB). Lines are in the order the
 * engine answered requests; requests still unanswered at the end follow with outcome "unfinished".
 * `responseNs` is the completion as `metrics.measureAt` says (result back at the controller, or
 * response at the client) and `latencyNs` = responseNs - arrivalNs. Every request is listed;
 * `measured` says whether it was sent in the measured window.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { SimObserver } from '../sim/observer.js';
import type { Nanos } from '../sim/time.js';
import type { Outcome, Request } from '../sim/types.js';
import { csvCell } from '../util/csv.js';
import { rethrowIo } from '../util/io.js';
import { inMeasuredWindow } from './window.js';

export const REQUESTS_CSV_HEADER = 'id,model,group,sentNs,arrivalNs,deadlineNs,responseNs,latencyNs,outcome,measured\n';

export class RequestLog implements SimObserver {
  private fd: number;
  private buf = '';
  /** Model and group names as CSV cells. */
  private readonly names: string[];
  private readonly groups: string[];

  constructor(
    private readonly path: string,
    modelNames: readonly string[],
    groupNames: readonly string[],
    private readonly warmup: Nanos,
    private readonly duration: Nanos,
  ) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      rethrowIo(e, path, 'write');
    }
    // The only cells that may need quoting are the names: escaped once here, so a line costs a
    // template string (csv-stringify per line would cost about four times as much).
    this.names = modelNames.map(csvCell);
    this.groups = groupNames.map(csvCell);
    this.buf = REQUESTS_CSV_HEADER;
  }

  private measured(r: Request): number {
    return inMeasuredWindow(r.sentAt, this.warmup, this.duration) ? 1 : 0;
  }

  onResponse(r: Request, outcome: Outcome, at: Nanos): void {
    this.buf += `${r.id},${this.names[r.model]},${this.groups[r.group]},${r.sentAt},${r.arrival},${r.deadline},${at},${at - r.arrival},${outcome},${this.measured(r)}\n`;
    if (this.buf.length > 1 << 20) this.flush();
  }

  onUnfinished(r: Request): void {
    this.buf += `${r.id},${this.names[r.model]},${this.groups[r.group]},${r.sentAt},${r.arrival},${r.deadline},,,unfinished,${this.measured(r)}\n`;
    if (this.buf.length > 1 << 20) this.flush();
  }

  private flush(): void {
    try {
      if (this.buf.length > 0) writeSync(this.fd, this.buf);
    } catch (e) {
      rethrowIo(e, this.path, 'write'); // a full disk: one line naming the file
    }
    this.buf = '';
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
