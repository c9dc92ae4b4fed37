/** `servesim trace ...` run in process: what it printed on stdout. */
import { Command } from 'commander';
import { vi } from 'vitest';
import { registerTraceCommands } from '../../src/cli/trace.js';

export async function traceCli(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerTraceCommands(program);
  let text = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    text += String(s);
    return true;
  });
  try {
    await program.parseAsync(['node', 'servesim', ...args]);
  } finally {
    spy.mockRestore();
  }
  return text;
}
