#!/usr/bin/env bash
# Start a private single-node SLURM (munge + slurmctld + slurmd) for tests/test_slurm.py.
#
#   bash .ci/slurm/start.sh DIR
#   bash .ci/slurm/stop.sh DIR      stops what this script started, by PID
#
# SLURM's state, spool, logs and pidfiles live in DIR. The configuration must be the
# default /etc/slurm/slurm.conf: the executor plugin's job step drops SLURM_CONF from the
# environment of the inner srun. It is written only if absent or written by this script
# (first line below), and stop.sh removes it; a site's own slurm.conf is never touched
# (exit 3). munged is the system one (/run/munge): started here only if it is not running
# (then DIR/munged.pid marks it as ours). Needs root and the
# Debian 12 packages slurm-wlm (or slurmctld slurmd slurm-client) and munge; no systemd.
# No slurmdbd: sacct does not work, use `--slurm-status-command squeue` (MinJobAge=300 s
# keeps finished jobs visible to squeue; the plugin needs ≥ 3 × its init seconds).
# Every wait is bounded; exits non-zero with the daemons' log tail if SLURM is not ready.
set -euo pipefail
DIR=$(realpath -m "${1:?usage: start.sh DIR}")
PARTITION=${PARTITION:-ci}
NICE=${SLURM_NICE:-0}      # niceness of slurmd and so of every job (a shared machine: 10)
log() { echo "[slurm/start] $*" >&2; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
fail() { log "$*"; tail -n 20 "$DIR"/log/*.log >&2 2>/dev/null || true; exit 1; }

[ "$(id -u)" = 0 ] || { log "must run as root"; exit 2; }
for exe in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd sbatch squeue sinfo; do
  command -v "$exe" >/dev/null || { log "missing $exe (apt-get install slurm-wlm munge)"; exit 2; }
done
T0=$(date +%s)
mkdir -p "$DIR"/state "$DIR"/spool "$DIR"/log
chmod 755 "$DIR"

# --- munge (system key and socket) -------------------------------------------------------
install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
install -d -o munge -g munge -m 0711 /var/lib/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating the munge key"
  runuser -u munge -- mungekey -c -k /etc/munge/munge.key
fi
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged
  cp /run/munge/munged.pid "$DIR"/munged.pid
  for _ in $(seq 1 50); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
fi
munge -n </dev/null | unmunge >/dev/null 2>&1 || fail "munge does not work"

# --- slurm.conf ---------------------------------------------------------------------------
NODE=$(hostname -s)
read -r CPUS MEM < <(/usr/sbin/slurmd -C | awk '/^NodeName/ {for (i = 1; i <= NF; i++) {
  split($i, a, "="); if (a[1] == "CPUs") c = a[2]; if (a[1] == "RealMemory") m = a[2]}}
  END {print c, int(m * 0.9)}')
CONF=/etc/slurm/slurm.conf
MARK="# written by .ci/slurm/start.sh for the tests; not a production configuration"
if [ -e "$CONF" ] && [ "$(head -n 1 "$CONF")" != "$MARK" ]; then
  log "$CONF exists and is not ours: not touching this machine's SLURM"; exit 3
fi
mkdir -p /etc/slurm
cat > "$DIR"/slurm.conf <<CONF
$MARK
ClusterName=igdci
SlurmctldHost=$NODE(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
cp "$DIR"/slurm.conf "$CONF"; chmod 644 "$CONF"

# --- daemons ------------------------------------------------------------------------------
alive "$DIR"/slurmctld.pid || { log "starting slurmctld"; /usr/sbin/slurmctld -i; }
for _ in $(seq 1 50); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
alive "$DIR"/slurmd.pid || { log "starting slurmd"; nice -n "$NICE" /usr/sbin/slurmd; }
state=""
for _ in $(seq 1 60); do
  state=$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true)
  case "$state" in idle*|mix*|alloc*) break ;; esac
  sleep 0.5
done
case "$state" in idle*|mix*|alloc*) ;; *)
  scontrol update nodename="$NODE" state=resume 2>/dev/null || true; sleep 1
  state=$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true) ;;
esac
case "$state" in idle*|mix*|alloc*) ;; *) fail "node $NODE not ready (state '$state')" ;; esac
log "SLURM ready in $(( $(date +%s) - T0 )) s: node $NODE, $CPUS CPUs, ${MEM} MB, partition $PARTITION"
