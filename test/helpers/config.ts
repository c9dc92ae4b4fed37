/** The small valid config the config and input-hardening tests mutate one field at a time. */
export const baseConfig = () => ({
  name: 't',
  seed: 1,
  duration: '10s',
  warmup: '1s',
  cluster: { profile: 'hw-profiles/v100-clockwork.json' } as Record<string, unknown>,
  models: [{ profile: 'resnet50_v2', copies: 2 }] as Array<Record<string, unknown>>,
  workload: { type: 'closed-loop', concurrency: 2, slo: '100ms' } as Record<string, unknown>,
  scheduler: { type: 'fifo' } as Record<string, unknown>,
});
export type Cfg = ReturnType<typeof baseConfig> & Record<string, unknown>;
