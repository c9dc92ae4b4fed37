/**
 * The lane log of a run: what happened on each GPU, as the oracle needs it. A SimObserver that the
 * oracle tests attach to a simulation; it records phases as the GPUs report them (not the engine's
 * busy/idle signals, which are what the collector sums) and every action's end.
 */
import type { Simulation } from '../../src/sim/simulation.js';

export type LanePhase = 'LOAD' | 'EVICT' | 'INPUT' | 'EXEC' | 'OUTPUT';

export interface PhaseRecord {
  gpu: number;
  phase: LanePhase;
  model: number;
  /** ns */
  start: number;
  end: number;
}

export interface ActionEnd {
  gpu: number;
  type: 'LOAD' | 'EVICT' | 'INFER';
  model: number;
  /** null when it succeeded */
  error: string | null;
  /** When the engine learnt the action had ended: the end of the output copy for an INFER. */
  at: number;
  /** INFER: requests it carried. */
  requests: number;
}

export interface LaneLog {
  phases: PhaseRecord[];
  actions: ActionEnd[];
  /** Phases still running when the run stopped: [start, run end]. */
  open: PhaseRecord[];
  /** Simulated time when the run stopped. */
  end: number;
  /** Completion-time predictions the scheduler recorded: [kind, predicted end, actual end]. */
  predictions: Array<{ kind: 'INFER' | 'LOAD'; predicted: number; actual: number }>;
}

/** Attach to `sim` before it runs; call `finish()` after. */
export class LaneLogRecorder {
  private readonly log: LaneLog = { phases: [], actions: [], open: [], end: 0, predictions: [] };
  /** Busy transitions, only to find phases that had not ended when the run stopped. */
  private readonly busySince = new Map<string, number>();

  constructor(private readonly sim: Simulation) {
    sim.addObserver({
      onPhase: (gpu, a, phase, start, end) => this.log.phases.push({ gpu, phase, model: a.model, start, end }),
      onActionDone: (gpu, a, error) =>
        this.log.actions.push({ gpu, type: a.type, model: a.model, error, at: sim.now(), requests: a.type === 'INFER' ? a.requests.length : 0 }),
      onPrediction: (kind, predicted, actual) => this.log.predictions.push({ kind, predicted, actual }),
      onLaneBusy: (gpu, kind, busy, at) => {
        const k = `${gpu}/${kind}`;
        if (busy) this.busySince.set(k, at);
        else this.busySince.delete(k);
      },
    });
  }

  finish(): LaneLog {
    this.log.end = this.sim.now();
    for (const [k, since] of this.busySince) {
      const [gpu, kind] = k.split('/');
      this.log.open.push({ gpu: Number(gpu), phase: kind === 'exec' ? 'EXEC' : 'LOAD', model: -1, start: since, end: this.log.end });
    }
    return this.log;
  }
}
