/**
 * A short name for a cgroup path, for groups and metric labels: the systemd unit (`nginx.service`,
 * `session-3.scope`), a container as `docker:0123456789ab` / `containerd:…` / `crio:…` / `libpod:…`, else the path.
 */
export function cgroupLabel(path: string): string {
  const last = path.slice(path.lastIndexOf('/') + 1);
  const container = /^(docker|cri-containerd|crio|libpod)-([0-9a-f]{12,64})\.scope$/.exec(last);
  if (container)
    return `${container[1] === 'cri-containerd' ? 'containerd' : container[1]}:${container[2]!.slice(0, 12)}`;
  if (/\.(service|scope|slice)$/.test(last)) return last;
  return path;
}
