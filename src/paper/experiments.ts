/**
 * The Clockwork paper's experiments (described with their claims in docs/paper-reproduction.md), as
 * servesim configs under experiments/paper/ (full durations) and experiments/paper/fast/.
 */
import { UserError } from '../util/errors.js';

export const FIGURES = ['fig5', 'fig6', 'fig7', 'fig8', 'fig9', 'fig11'] as const;
export type Figure = (typeof FIGURES)[number];

export interface PaperExperiment {
  id: Figure;
  /** Figures this run produces (fig9's run also gives fig10). */
  figures: string[];
  title: string;
  /** Config file name under experiments/paper/ (and fast/). */
  config: string;
  /** Needs an Azure Functions 2019 day (workload.dir). */
  trace: boolean;
  /** The setup, in one line. */
  setup: string;
  /** What the paper shows (the shape to compare with). */
  paper: string;
}

export const EXPERIMENTS: Record<Figure, PaperExperiment> = {
  fig5: {
    id: 'fig5',
    figures: ['fig5'],
    title: 'Clockwork against Clipper, INFaaS, Triton and FIFO on one GPU',
    config: 'fig5.json',
    trace: false,
    setup: '1 GPU; 15 ResNet50 v2 copies; 16 closed-loop clients per model; SLO in {10, 25, 50, 100, 250, 500} ms; Clockwork with schedule_ahead 5 ms, max batch 8',
    paper:
      'Clockwork meets its SLO for nearly all requests at every SLO down to 10 ms with goodput close to the GPU\'s batched capacity; Clipper and INFaaS show long tails beyond the SLO and lose most goodput at tight SLOs.',
  },
  fig6: {
    id: 'fig6',
    figures: ['fig6'],
    title: 'Many models, bursts, isolation of a hot model',
    config: 'fig6.json',
    trace: false,
    setup: '1 GPU; "major" ResNet50 copies activated one per interval after a lead-in, sharing 1,000 r/s; one "minor" model at Poisson 200 r/s; 100 ms SLO; the weight cache holds 196 ResNet50s',
    paper:
      'Once more models are active than fit in memory, PCIe (loading) becomes the bottleneck and major-model goodput falls to what loading can sustain; the hot minor model keeps meeting its SLO throughout.',
  },
  fig7: {
    id: 'fig7',
    figures: ['fig7'],
    title: 'Tight SLOs',
    config: 'fig7.json',
    trace: false,
    setup: '6 GPUs; N in {12, 48} ResNet50 copies; Poisson R in {600, 1200, 2400} r/s; SLO = factor x b1 (2.73 ms), factor 1 -> 100 (x1.5 per step)',
    paper:
      'Goodput approaches the offered load once the SLO is a few times b1 (~10-20 ms). Below 10 ms the released code has no admission check: with schedule_ahead 5 ms the internal deadline is floored at 10 ms, so requests at those steps are planned against 10 ms and many are served late; between 10 and ~20 ms it times out what it cannot serve rather than serving it late.',
  },
  fig8: {
    id: 'fig8',
    figures: ['fig8'],
    title: 'Performance isolation',
    config: 'fig8.json',
    trace: false,
    setup: '6 GPUs; foreground 6 models at 200 r/s with the fig7 SLO ramp; background none / (12 models x 16 clients) / (48 models x 4 clients), 1-day SLO',
    paper: 'Foreground SLO attainment is unaffected by the background load, which fills the remaining capacity.',
  },
  fig9: {
    id: 'fig9',
    figures: ['fig9', 'fig10'],
    title: 'Production trace (Azure Functions), prediction errors',
    config: 'fig9.json',
    trace: true,
    setup:
      "6 GPUs; 4,026 models (61 x 66); Azure Functions 2019 day 1 mapped contiguously, Poisson within each minute; a sweep over the load factor (scale = load factor x 0.125 x 8: load factor 1 = scale 1.0 is the paper's setting); 100 ms SLO; first 10 min excluded",
    paper:
      '100 ms met for 99.997% of requests (arXiv v2: 99.9999%); goodput follows the offered load over the day; cold starts served through PCIe loads. fig10: INFER completion-time prediction errors sub-millisecond, LOAD errors somewhat larger.',
  },
  fig11: {
    id: 'fig11',
    figures: ['fig11'],
    title: 'Controller scalability',
    config: 'fig11.json',
    trace: true,
    setup: 'emulated workers, N GPUs; Azure scalability workload, load factor 0.1 -> 4 (x1.5 per step); max batch 8, max_exec 25 ms, schedule_ahead 5 ms; median of 3 seeds; controller cost per decision = servesim\'s own controller, measured (scripts/controller-cost.mjs)',
    paper: 'Goodput grows with GPUs (~10k r/s at 10 GPUs, ~39k at 40, ~68k at 80 in one artifact data file) until the single controller saturates near 80-100 GPUs.',
  },
};

/** fig11 reference points of the paper (one artifact data file, approximate). */
export const FIG11_PAPER = [
  { gpus: 10, goodput: 10_000 },
  { gpus: 40, goodput: 39_000 },
  { gpus: 80, goodput: 68_000 },
];

/** Parse `--only fig5,fig6` (fig10 is an alias of fig9, whose run produces it). */
export function parseOnly(text: string | undefined): Figure[] {
  if (text === undefined) return [...FIGURES];
  const out: Figure[] = [];
  for (const raw of text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const id = raw === 'fig10' ? 'fig9' : raw;
    if (!(FIGURES as readonly string[]).includes(id)) {
      throw new UnknownFigureError(raw);
    }
    if (!out.includes(id as Figure)) out.push(id as Figure);
  }
  if (out.length === 0) throw new UnknownFigureError(text);
  return FIGURES.filter((f) => out.includes(f));
}

export class UnknownFigureError extends UserError {
  constructor(name: string) {
    super(`--only: unknown figure "${name}" (expected a comma-separated list of ${FIGURES.join(', ')}, or fig10 for fig9's run)`);
  }
}
