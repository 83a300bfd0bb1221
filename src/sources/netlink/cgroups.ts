import { readdirSync, readFileSync, statSync } from 'node:fs';

/**
 * cgroup v2 ids (INET_DIAG_CGROUP_ID: the kernfs id, which is the inode number of the cgroup's directory) to their
 * paths under the cgroup2 mount, as `ss --cgroup` prints them (`/system.slice/ssh.service`). The tree is walked
 * once and cached; an id not found triggers one more walk per look (a cgroup made since), never more.
 */
export class CgroupPaths {
  private readonly root: string | undefined;
  private paths = new Map<number, string>();
  private walked = false;

  constructor(root: string | undefined = cgroup2Mount()) {
    this.root = root;
  }

  /** Paths for these ids (ids not found are left out). */
  resolve(ids: Iterable<number>): Map<number, string> {
    const out = new Map<number, string>();
    let missing = false;
    for (const id of ids) {
      const path = this.paths.get(id);
      if (path === undefined) missing = true;
      else out.set(id, path);
    }
    if (!missing || this.root === undefined) return out;
    this.walk();
    for (const id of ids) {
      const path = this.paths.get(id);
      if (path !== undefined) out.set(id, path);
    }
    return out;
  }

  private walk(): void {
    const root = this.root!;
    const paths = new Map<number, string>();
    const visit = (dir: string, rel: string, depth: number) => {
      try {
        paths.set(statSync(dir).ino, rel === '' ? '/' : rel);
        if (depth > 32) return;
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          if (entry.isDirectory()) visit(`${dir}/${entry.name}`, `${rel}/${entry.name}`, depth + 1);
        }
      } catch {
        // a cgroup removed while we walk, or one we may not read
      }
    };
    visit(root, '', 0);
    this.paths = paths;
    this.walked = true;
  }

  /** Whether the tree has been walked (for tests). */
  get cached(): boolean {
    return this.walked;
  }
}

/** Where cgroup2 is mounted (`/sys/fs/cgroup` on unified hosts, `/sys/fs/cgroup/unified` on hybrid ones). */
export function cgroup2Mount(mounts = '/proc/self/mounts'): string | undefined {
  try {
    for (const line of readFileSync(mounts, 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[2] === 'cgroup2' && f[1]) return f[1].replace(/\\040/g, ' ');
    }
  } catch {
    // no /proc
  }
  return undefined;
}
