#!/usr/bin/env bash
# Stop the daemons .ci/slurm/start.sh DIR started, by the PIDs in DIR (slurmd, slurmctld,
# then munged if start.sh started it), and removes the /etc/slurm/slurm.conf start.sh
# wrote. Cancels leftover jobs first. Idempotent.
set -u
DIR=$(realpath -m "${1:?usage: stop.sh DIR}")
stop() {  # stop NAME PIDFILE
  local name=$1 pf=$2 pid
  [ -s "$pf" ] || return 0
  pid=$(cat "$pf")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then echo "[slurm/stop] $name ($pid): SIGKILL" >&2; kill -9 "$pid"; fi
    echo "[slurm/stop] stopped $name ($pid)" >&2
  fi
  rm -f "$pf"
}
if [ -s "$DIR"/slurmctld.pid ] && kill -0 "$(cat "$DIR"/slurmctld.pid)" 2>/dev/null; then
  timeout 10 scancel --user="$(id -un)" 2>/dev/null || true
fi
stop slurmd "$DIR"/slurmd.pid
stop slurmctld "$DIR"/slurmctld.pid
stop munged "$DIR"/munged.pid
MARK="# written by .ci/slurm/start.sh for the tests; not a production configuration"
if [ -e /etc/slurm/slurm.conf ] && [ "$(head -n 1 /etc/slurm/slurm.conf)" = "$MARK" ]; then
  rm -f /etc/slurm/slurm.conf
fi
exit 0
