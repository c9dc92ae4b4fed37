/**
 * A registry of named entries (scheduler types, workload types): registering a name twice throws,
 * an unknown name reads as undefined, and names are listed sorted.
 */
export class Registry<T extends { readonly name: string }> {
  private readonly entries = new Map<string, T>();

  /** @param kind what the entries are, for the error message ("scheduler", "workload"). */
  constructor(private readonly kind: string) {}

  register(t: T): void {
    if (this.entries.has(t.name)) throw new Error(`${this.kind} ${t.name} registered twice`);
    this.entries.set(t.name, t);
  }

  get(name: string): T | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }
}
