/**
 * Network namespaces for the NAT lab, made so that the machine's own interfaces can never be touched.
 *
 * - Every namespace is named `dyadlab-<run>-<role>`; `removeStaleLabs` deletes what a killed run left.
 * - A veth pair is created *inside* a lab namespace with its peer end placed straight into another lab
 *   namespace (`ip -n A link add X type veth peer name Y netns B`): no lab interface ever exists in the
 *   host's namespace, so no command of the lab can name, move or reconfigure a host interface (eth0, ...).
 *   The names also carry the `dyx` prefix and a random suffix, and are checked absent before creation.
 * - Nothing is routed between the lab and the host: the namespaces have no link to the host's namespace.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const labPrefix = 'dyadlab-';
export const interfacePrefix = 'dyx';

export interface Programs {
  readonly ip: string;
  readonly nft: string;
}

/** Runs `ip` with arguments (never a shell), throwing with its stderr on failure. */
export async function ip(programs: Programs, ...args: string[]): Promise<string> {
  try {
    return (await run(programs.ip, args, { timeout: 10_000 })).stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

async function succeeds(programs: Programs, ...args: string[]): Promise<boolean> {
  try {
    await run(programs.ip, args, { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export async function listLabNamespaces(programs: Programs): Promise<string[]> {
  const out = await ip(programs, 'netns', 'list');
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(labPrefix));
}

/** Deletes every `dyadlab-*` namespace (a previous run killed before its cleanup); their veths go too. */
export async function removeStaleLabs(programs: Programs, keep: readonly string[] = []): Promise<string[]> {
  const stale = (await listLabNamespaces(programs)).filter((name) => !keep.includes(name));
  for (const name of stale) await ip(programs, 'netns', 'delete', name);
  return stale;
}

/** The namespaces of one lab run, deleted together by `destroy` (also after a failure). */
export class NamespaceSet {
  readonly run = randomBytes(3).toString('hex');
  readonly #created: string[] = [];
  readonly #interfaceNames = new Set<string>();

  constructor(readonly programs: Programs) {}

  /** `dyadlab-<run>-<role>`. */
  name(role: string): string {
    return `${labPrefix}${this.run}-${role}`;
  }

  async create(role: string): Promise<string> {
    const name = this.name(role);
    await ip(this.programs, 'netns', 'add', name);
    this.#created.push(name);
    await ip(this.programs, '-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** A fresh interface name: `dyx` + 6 random hex digits + a tag, at most 15 characters (IFNAMSIZ). */
  async #interfaceName(tag: string): Promise<string> {
    for (;;) {
      const name = `${interfacePrefix}${randomBytes(3).toString('hex')}${tag}`.slice(0, 15);
      if (this.#interfaceNames.has(name)) continue;
      // Absent from the host's namespace too, although lab interfaces never live there.
      if (await succeeds(this.programs, 'link', 'show', name)) continue;
      this.#interfaceNames.add(name);
      return name;
    }
  }

  /**
   * Joins namespaces `a` and `b` (both created by this set) with a veth pair made inside `a`, its peer
   * end created directly in `b`. Returns the interface names on each side.
   */
  async link(a: string, b: string): Promise<{ inA: string; inB: string }> {
    if (!this.#created.includes(a) || !this.#created.includes(b))
      throw new Error(`refusing to link namespaces this lab did not create: ${a}, ${b}`);
    const inA = await this.#interfaceName('a');
    const inB = await this.#interfaceName('b');
    for (const [ns, name] of [
      [a, inA],
      [b, inB],
    ] as const) {
      if (await succeeds(this.programs, '-n', ns, 'link', 'show', name))
        throw new Error(`interface ${name} already exists in ${ns}`);
    }
    await ip(this.programs, '-n', a, 'link', 'add', inA, 'type', 'veth', 'peer', 'name', inB, 'netns', b);
    await ip(this.programs, '-n', a, 'link', 'set', inA, 'up');
    await ip(this.programs, '-n', b, 'link', 'set', inB, 'up');
    return { inA, inB };
  }

  /** Runs `ip` inside one of this set's namespaces. */
  exec(ns: string, ...args: string[]): Promise<string> {
    return ip(this.programs, '-n', ns, ...args);
  }

  /** Sets a kernel setting of a namespace (`sysctl -w` under `ip netns exec`). */
  async sysctl(ns: string, setting: string): Promise<void> {
    try {
      await run(this.programs.ip, ['netns', 'exec', ns, 'sysctl', '-qw', setting], { timeout: 10_000 });
    } catch (error) {
      throw new Error(`sysctl ${setting} in ${ns} failed: ${(error as { stderr?: string }).stderr ?? error}`);
    }
  }

  /** Loads an nftables ruleset into a namespace (`nft -f -` under `ip netns exec`). */
  async nft(ns: string, ruleset: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        this.programs.ip,
        ['netns', 'exec', ns, this.programs.nft, '-f', '-'],
        { timeout: 10_000 },
        (error, _stdout, stderr) =>
          error
            ? reject(new Error(`nft in ${ns} failed: ${stderr.trim() || String(error)}\n${ruleset}`))
            : resolve(),
      );
      child.stdin?.end(ruleset);
    });
  }

  /** Deletes every namespace of this set (their veth pairs go with them). Never throws. */
  async destroy(): Promise<string[]> {
    const failures: string[] = [];
    for (const name of this.#created.splice(0).reverse()) {
      try {
        await ip(this.programs, 'netns', 'delete', name);
      } catch (error) {
        failures.push(String(error));
      }
    }
    return failures;
  }
}
