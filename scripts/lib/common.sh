# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test. Sourced, never executed; the callers
# run with `set -euo pipefail`.
#
# Private PostgreSQL clusters ("dev" for scripts/run, "test" for scripts/test):
#   data    var/postgres[-test] when the cluster owner can reach <repo>/var, otherwise
#           /tmp/parley-<hash>/postgres[-test] with var/postgres[-test] a symlink to it
#   log     next to the data directory: postgres[-test].log
#   socket  /tmp/parley-<hash>/sock[-test]/.s.PGSQL.5432 (short path, no TCP at all)
#   owner   the invoking user; as root the `postgres` OS user (initdb/postgres refuse
#           root), or whoever already owns an existing cluster
# <hash> is derived from the checkout's absolute path, so checkouts never share state.

PARLEY_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
PARLEY_TMP=/tmp/parley-$(printf '%s' "$PARLEY_ROOT" | sha256sum | cut -c1-10)
PARLEY_PG_BIN=/usr/lib/postgresql/15/bin
PARLEY_PG_PORT=5432
PARLEY_PG_ROLE=parley # database superuser created by initdb; trust auth over the socket
PARLEY_JOBS=${PARLEY_JOBS:-2}

PARLEY_PACKAGES=(
  build-essential g++ cmake pkg-config
  libcaf-dev libboost-dev libboost-system-dev libpqxx-dev libpq-dev
  nlohmann-json3-dev catch2 libspdlog-dev libssl-dev libjemalloc-dev
  postgresql-15 postgresql-client-15
  ca-certificates # GitHub login: the server verifies github.com's certificate
)

PARLEY_CLUSTER_HELD=   # set while this process holds a cluster (released on exit)
PARLEY_LOCK_FD=        # cluster start/stop lock, held only briefly
PARLEY_RUN_LOCK_FD=    # scripts/test: held for the whole run
PARLEY_CHILD_PID=
PARLEY_SIGNALS=0
PARLEY_DISCARD_TMP_CLUSTER= # scripts/test under CI: delete a /tmp cluster after use

parley_say() { printf 'parley: %s\n' "$*" >&2; }
parley_warn() { printf 'parley: warning: %s\n' "$*" >&2; }
parley_die() {
  printf 'parley: error: %s\n' "$*" >&2
  exit 1
}

# --- exit handling --------------------------------------------------------------------

# EXIT releases the cluster; INT/TERM/HUP just exit (which runs EXIT).
parley_traps() {
  trap parley_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

parley_on_exit() {
  if [[ -n $PARLEY_CHILD_PID ]] && kill -0 "$PARLEY_CHILD_PID" 2>/dev/null; then
    kill -TERM "$PARLEY_CHILD_PID" 2>/dev/null || true
    wait "$PARLEY_CHILD_PID" 2>/dev/null || true
  fi
  if [[ -n $PARLEY_CLUSTER_HELD ]]; then
    parley_cluster_release || true
  fi
}

# Runs "$@" in the background and waits for it. The first INT/TERM/HUP sends it SIGTERM
# (and keeps waiting), a second one SIGKILL. Returns the command's exit status.
parley_run_child() {
  PARLEY_SIGNALS=0
  "$@" &
  PARLEY_CHILD_PID=$!
  trap parley_forward_signal INT TERM HUP
  local rc=0
  # A trapped signal cuts `wait` short (status 128+n) while the child may still run.
  while kill -0 "$PARLEY_CHILD_PID" 2>/dev/null; do
    wait "$PARLEY_CHILD_PID" || true
  done
  wait "$PARLEY_CHILD_PID" || rc=$? # bash keeps the status of a reaped child
  PARLEY_CHILD_PID=
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  return "$rc"
}

parley_forward_signal() {
  PARLEY_SIGNALS=$((PARLEY_SIGNALS + 1))
  if ((PARLEY_SIGNALS == 1)); then
    parley_say "stopping server (SIGTERM to pid $PARLEY_CHILD_PID; again to kill it)…"
    kill -TERM "$PARLEY_CHILD_PID" 2>/dev/null || true
  else
    parley_say "killing server (SIGKILL to pid $PARLEY_CHILD_PID)"
    kill -KILL "$PARLEY_CHILD_PID" 2>/dev/null || true
  fi
}

# --- packages and build ---------------------------------------------------------------

parley_install_packages() {
  command -v dpkg-query >/dev/null || parley_die "dpkg-query not found: these scripts need Debian 12"
  # One dpkg-query for all (Status is "<want> <error flag> <state>"); unknown names
  # are simply absent from its output.
  local -A installed=()
  local missing=() p flag state
  while read -r p _ flag state; do
    if [[ $flag == ok && $state == installed ]]; then installed[$p]=1; fi
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "${PARLEY_PACKAGES[@]}" 2>/dev/null || true)
  for p in "${PARLEY_PACKAGES[@]}"; do
    [[ -n ${installed[$p]:-} ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0

  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null ||
      parley_die "missing packages (${missing[*]}) and no sudo: install them as root"
    sudo=(sudo)
  fi
  parley_say "installing missing packages: ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}

# parley_browser_deps: what tests/browser needs. Debian's Chromium and Node.js (apt, with
# the other packages), npm if that Node.js came without it, and playwright-core from the
# npm registry at the version tests/browser/package-lock.json pins (npm ci, again only
# when the lock file changed).
parley_browser_deps() {
  command -v npm >/dev/null || { PARLEY_PACKAGES=(npm); parley_install_packages; }
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  ((major >= 20)) || parley_die "the browser test needs Node.js 20 or later (found $(node --version))"
  local dir=$PARLEY_ROOT/tests/browser stamp=$PARLEY_ROOT/tests/browser/node_modules/.parley-lock
  if [[ -f $stamp ]] && cmp -s "$dir/package-lock.json" "$stamp"; then return 0; fi
  parley_say "installing the browser test's npm packages (tests/browser)…"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || parley_die "npm ci failed in tests/browser"
  cp "$dir/package-lock.json" "$stamp"
}

# parley_build <dir relative to the repo> <cmake configure args…>
# Configures only when the build directory has no generated build system yet.
parley_build() {
  local name=$1 dir=$PARLEY_ROOT/$1
  shift
  if [[ ! -f $dir/CMakeCache.txt || (! -f $dir/Makefile && ! -f $dir/build.ninja) ]]; then
    parley_say "configuring $name/ ($*)…"
    cmake -S "$PARLEY_ROOT" -B "$dir" "$@"
  fi
  parley_say "building $name/…"
  cmake --build "$dir" -j "$PARLEY_JOBS"
}

# --- private PostgreSQL cluster -------------------------------------------------------

# Runs a command as the cluster owner, from / (the owner may not be able to enter the
# cwd), without our lock descriptors (a postmaster must not inherit and hold them).
parley_as_owner() {
  (
    cd /
    [[ -n $PARLEY_LOCK_FD ]] && exec {PARLEY_LOCK_FD}>&-
    [[ -n $PARLEY_RUN_LOCK_FD ]] && exec {PARLEY_RUN_LOCK_FD}>&-
    if ((EUID == 0)); then
      exec runuser -u "$PARLEY_PG_OWNER" -- "$@"
    else
      exec "$@"
    fi
  )
}

# /tmp/parley-<hash>: ours (not a symlink, owned by us), traversable by the cluster owner.
parley_tmp_dir() {
  mkdir -p "$PARLEY_TMP"
  [[ -d $PARLEY_TMP && ! -L $PARLEY_TMP && -O $PARLEY_TMP ]] ||
    parley_die "$PARLEY_TMP exists but is not a directory owned by $(id -un); remove it"
  chmod 0755 "$PARLEY_TMP"
}

# parley_owned <path> <mode> <dir|file>: creates it if missing, gives it to the owner.
parley_owned() {
  if [[ $3 == dir ]]; then
    mkdir -p "$1"
  else
    [[ -e $1 ]] || : >"$1"
  fi
  if ((EUID == 0)); then chown "$PARLEY_PG_OWNER:" "$1"; fi
  chmod "$2" "$1"
}

# parley_cluster_locate <dev|test>: sets PARLEY_PG_DATA (the real path, never through a
# symlink the owner could not follow), PARLEY_PG_SOCKDIR, PARLEY_PG_LOG, PARLEY_PG_OWNER.
parley_cluster_locate() {
  local suffix=
  case $1 in
    dev) ;;
    test) suffix=-test ;;
    *) parley_die "unknown cluster '$1'" ;;
  esac
  PARLEY_PG_FLAVOUR=$1
  PARLEY_PG_SOCKDIR=$PARLEY_TMP/sock$suffix
  PARLEY_PG_TMPDATA=$PARLEY_TMP/postgres$suffix
  local var=$PARLEY_ROOT/var link=$PARLEY_ROOT/var/postgres$suffix
  mkdir -p "$var"
  parley_tmp_dir

  # Dangling symlink (e.g. /tmp was wiped): forget it.
  if [[ -L $link && ! -d $link ]]; then rm -f "$link"; fi

  # Owner: ourselves, or as root `postgres` unless an existing cluster says otherwise.
  if ((EUID != 0)); then
    PARLEY_PG_OWNER=$(id -un)
  else
    id -u postgres >/dev/null 2>&1 ||
      parley_die "OS user 'postgres' missing (it comes with the postgresql-15 package)"
    PARLEY_PG_OWNER=postgres
    if [[ -f $link/PG_VERSION ]]; then
      local o
      o=$(stat -L -c %U "$link")
      [[ $o == root || $o == UNKNOWN ]] || PARLEY_PG_OWNER=$o
    fi
  fi

  local reachable=
  if parley_as_owner test -x "$var" 2>/dev/null; then reachable=1; fi

  if [[ -L $link ]]; then
    PARLEY_PG_DATA=$(readlink -f "$link")
  elif [[ -d $link ]]; then
    if [[ -z $reachable ]]; then
      if [[ -f $link/PG_VERSION ]]; then
        parley_die "$link holds a cluster that user $PARLEY_PG_OWNER cannot reach" \
          "(a parent directory is not traversable); move it to $PARLEY_PG_TMPDATA and" \
          "symlink it, or remove it"
      fi
      rmdir "$link" 2>/dev/null || parley_die "$link exists but is no cluster; remove it"
      PARLEY_PG_DATA=$PARLEY_PG_TMPDATA
      ln -sfn "$PARLEY_PG_DATA" "$link"
    else
      PARLEY_PG_DATA=$link
    fi
  elif [[ -n $reachable ]]; then
    PARLEY_PG_DATA=$link
  else
    PARLEY_PG_DATA=$PARLEY_PG_TMPDATA
    ln -sfn "$PARLEY_PG_DATA" "$link"
  fi

  PARLEY_PG_LOG=$(dirname -- "$PARLEY_PG_DATA")/postgres$suffix.log
  local loglink=$var/postgres$suffix.log
  if [[ $PARLEY_PG_LOG == "$loglink" ]]; then
    if [[ -L $loglink ]]; then rm -f "$loglink"; fi # left from a /tmp layout
  elif [[ ! -e $loglink || -L $loglink ]]; then
    ln -sfn "$PARLEY_PG_LOG" "$loglink" # so developers find it
  fi

  if [[ -f $PARLEY_PG_DATA/PG_VERSION && $(stat -c %U "$PARLEY_PG_DATA") != "$PARLEY_PG_OWNER" ]]; then
    parley_die "$PARLEY_PG_DATA belongs to $(stat -c %U "$PARLEY_PG_DATA"), not" \
      "$PARLEY_PG_OWNER: run as that user (or root), or remove it"
  fi
}

# Postmaster pid if one is running on PARLEY_PG_DATA (its cwd is the data directory, which
# also rules out a recycled pid), else nothing.
parley_cluster_pid() {
  local pid
  [[ -f $PARLEY_PG_DATA/postmaster.pid ]] || return 0
  pid=$(head -n 1 "$PARLEY_PG_DATA/postmaster.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == postgres ]] || return 0
  [[ $(readlink -f "/proc/$pid/cwd" 2>/dev/null) == "$(readlink -f "$PARLEY_PG_DATA")" ]] || return 0
  printf '%s\n' "$pid"
}

parley_show_log() {
  if [[ -f $PARLEY_PG_LOG ]]; then
    printf 'parley: last lines of %s:\n' "$PARLEY_PG_LOG" >&2
    tail -n 25 "$PARLEY_PG_LOG" >&2 || true
  fi
}

# initdb once, into a staging directory renamed into place only on success (an
# interrupted initdb leaves nothing that looks like a cluster).
parley_cluster_init() {
  [[ -f $PARLEY_PG_DATA/PG_VERSION ]] && return 0
  if [[ -e $PARLEY_PG_DATA ]]; then
    rmdir "$PARLEY_PG_DATA" 2>/dev/null ||
      parley_die "$PARLEY_PG_DATA exists but holds no cluster (no PG_VERSION); remove it"
  fi
  local stage=$PARLEY_PG_DATA.initdb
  rm -rf "$stage"
  parley_owned "$stage" 0700 dir
  parley_say "initialising PostgreSQL cluster in $PARLEY_PG_DATA…"
  local initdb=("$PARLEY_PG_BIN/initdb" -D "$stage" "--username=$PARLEY_PG_ROLE" --auth=trust
    --encoding=UTF8)
  if ! parley_as_owner "${initdb[@]}" --locale=C.UTF-8 >>"$PARLEY_PG_LOG" 2>&1; then
    parley_warn "initdb with --locale=C.UTF-8 failed; retrying with --no-locale"
    rm -rf "$stage"
    parley_owned "$stage" 0700 dir
    if ! parley_as_owner "${initdb[@]}" --no-locale >>"$PARLEY_PG_LOG" 2>&1; then
      parley_show_log
      rm -rf "$stage"
      parley_die "initdb failed"
    fi
  fi
  {
    printf '\n# --- added by scripts/lib/common.sh (socket dir and port: pg_ctl -o) ---\n'
    printf "listen_addresses = ''\n"
    printf 'max_connections = 200\n'
    if [[ $PARLEY_PG_FLAVOUR == test ]]; then
      printf '# test cluster only: durability traded for speed\n'
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
    fi
  } >>"$stage/postgresql.conf"
  mv -T "$stage" "$PARLEY_PG_DATA"
}

parley_cluster_ready() {
  parley_as_owner "$PARLEY_PG_BIN/pg_isready" -q -h "$PARLEY_PG_SOCKDIR" -p "$PARLEY_PG_PORT" \
    -U "$PARLEY_PG_ROLE" -d postgres -t 2
}

parley_pg_ctl() {
  parley_as_owner "$PARLEY_PG_BIN/pg_ctl" -D "$PARLEY_PG_DATA" "$@"
}

# parley_memory_limit_bytes [proc-cgroup-file] [cgroup-root]: this process's cgroup memory
# limit (v2 memory.max, v1 memory.limit_in_bytes), nothing when there is none. A container
# on a big host sees the host's RAM in /proc/meminfo but may use only its limit. The
# arguments (default /proc/self/cgroup, /sys/fs/cgroup) are for tests/scripts.
parley_memory_limit_bytes() {
  local groups=${1:-/proc/self/cgroup} root=${2:-/sys/fs/cgroup} rel limit
  rel=$(awk -F: '$1 == "0" {print $3}' "$groups" 2>/dev/null)
  limit=$(cat "$root${rel}/memory.max" 2>/dev/null) ||
    { rel=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "$groups" 2>/dev/null)
      limit=$(cat "$root/memory${rel}/memory.limit_in_bytes" 2>/dev/null); } || limit=
  [[ $limit =~ ^[0-9]+$ ]] && printf '%s\n' "$limit" # "max" or unreadable: no limit
  return 0
}

# parley_ram_quarter_mb: a quarter of this machine's RAM, or of the cgroup's memory limit
# when that is lower, in MB (sizes shared memory).
parley_ram_quarter_mb() {
  awk -v limit="$(parley_memory_limit_bytes)" '/^MemTotal:/ {
    kb = $2
    if (limit != "" && limit / 1024 < kb) kb = limit / 1024
    print int(kb / 1024 / 4)
  }' /proc/meminfo
}

# parley_pg_settings: the server flags of the durable (dev) cluster beyond PostgreSQL's
# defaults, for pg_ctl -o. Durability is untouched (fsync and synchronous_commit stay on).
# - shared_buffers: a quarter of RAM, 128 MB to 512 MB. At 128 MB (the default) a database
#   of a few hundred MB had backends writing out dirty pages themselves.
# - max_wal_size, checkpoint_timeout: a checkpoint every 1 GB of WAL (the default) fell in
#   the middle of most benchmark runs, and after it every page's first change writes the
#   whole page to the WAL. Rarer checkpoints cost a longer crash recovery, not safety.
# - wal_compression: those full pages go to the WAL compressed.
# The test cluster keeps the defaults (its fsync is off).
parley_pg_settings() {
  [[ $PARLEY_PG_FLAVOUR == test ]] && return 0
  local mb
  mb=$(parley_ram_quarter_mb)
  ((mb > 512)) && mb=512
  ((mb < 128)) && mb=128
  printf -- ' -c shared_buffers=%dMB -c max_wal_size=4GB -c checkpoint_timeout=15min' "$mb"
  printf -- ' -c wal_compression=lz4'
}

parley_lock() {
  [[ -z $PARLEY_LOCK_FD ]] || return 0 # already ours (exit trap during a start)
  exec {PARLEY_LOCK_FD}>>"$PARLEY_TMP/$PARLEY_PG_FLAVOUR.lock"
  flock -w 300 "$PARLEY_LOCK_FD" || parley_die "timed out waiting for $PARLEY_TMP/$PARLEY_PG_FLAVOUR.lock"
}

parley_unlock() {
  flock -u "$PARLEY_LOCK_FD" || true
  exec {PARLEY_LOCK_FD}>&-
  PARLEY_LOCK_FD=
}

# Processes using the cluster register in holders-<flavour>/<pid> (content: the process
# start time, to tell a recycled pid). The last one out stops the cluster.
parley_proc_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the fields on purpose
  set -- $stat
  printf '%s\n' "${20}" # field 22, counting from pid (1) and comm (2)
}

parley_holders_dir() { printf '%s\n' "$PARLEY_TMP/holders-$PARLEY_PG_FLAVOUR"; }

# Prints the pids of other live holders, dropping stale entries.
parley_other_holders() {
  local dir f pid
  dir=$(parley_holders_dir)
  [[ -d $dir ]] || return 0
  for f in "$dir"/*; do
    [[ -f $f ]] || continue
    pid=${f##*/}
    [[ $pid == "$$" ]] && continue
    if [[ $(parley_proc_start_time "$pid" || true) == "$(cat "$f" 2>/dev/null)" ]]; then
      printf '%s\n' "$pid"
    else
      rm -f "$f"
    fi
  done
}

# parley_cluster_start <dev|test>: initdb if needed, start it or reuse a running one,
# clean up after a crash (stale postmaster.pid and socket lock), wait until it answers.
parley_cluster_start() {
  parley_cluster_locate "$1"
  parley_lock
  # Hold it before starting: if we are interrupted, the exit trap stops what we started.
  local holders
  holders=$(parley_holders_dir)
  mkdir -p "$holders"
  parley_proc_start_time "$$" >"$holders/$$"
  PARLEY_CLUSTER_HELD=1

  parley_owned "$PARLEY_PG_SOCKDIR" 0700 dir
  parley_owned "$PARLEY_PG_LOG" 0640 file
  parley_cluster_init

  local pid pidfile=$PARLEY_PG_DATA/postmaster.pid
  pid=$(parley_cluster_pid)
  if [[ -n $pid ]]; then
    # Line 4: port, line 5: socket directory. A moved checkout changes the socket dir.
    if [[ $(sed -n 4p "$pidfile") != "$PARLEY_PG_PORT" ||
      $(sed -n 5p "$pidfile") != "$PARLEY_PG_SOCKDIR" ]]; then
      if [[ -n $(parley_other_holders) ]]; then
        parley_die "cluster $PARLEY_PG_DATA runs with another socket directory and is in use"
      fi
      parley_say "restarting the running cluster (pid $pid) on socket $PARLEY_PG_SOCKDIR…"
      parley_pg_ctl -m fast -w -t 60 stop >/dev/null
      pid=
    fi
  fi

  if [[ -n $pid ]]; then
    parley_say "reusing the running cluster (pid $pid)"
    local i
    for ((i = 0; i < 60; i++)); do
      parley_cluster_ready && break
      sleep 1
    done
    parley_cluster_ready || {
      parley_show_log
      parley_die "cluster pid $pid does not answer on $PARLEY_PG_SOCKDIR; stop it:" \
        "$PARLEY_PG_BIN/pg_ctl -D $PARLEY_PG_DATA -m fast stop"
    }
  else
    if [[ -f $pidfile ]]; then
      parley_say "removing stale $pidfile (pid $(head -n 1 "$pidfile") is not running this cluster)"
      rm -f "$pidfile"
    fi
    rm -f "$PARLEY_PG_SOCKDIR/.s.PGSQL.$PARLEY_PG_PORT" \
      "$PARLEY_PG_SOCKDIR/.s.PGSQL.$PARLEY_PG_PORT.lock"
    if (($(stat -c %s "$PARLEY_PG_LOG") > 10 * 1024 * 1024)); then # keep one old log
      mv -f "$PARLEY_PG_LOG" "$PARLEY_PG_LOG.old"
      parley_owned "$PARLEY_PG_LOG" 0640 file
    fi
    parley_say "starting PostgreSQL ($PARLEY_PG_DATA, log $PARLEY_PG_LOG)…"
    local attempt
    for attempt in 1 2 3 4 5; do
      # After a kill -9 of the postmaster its children need a moment to exit.
      if parley_pg_ctl -l "$PARLEY_PG_LOG" -w -t 60 \
        -o "-k $PARLEY_PG_SOCKDIR -p $PARLEY_PG_PORT -c listen_addresses=''$(parley_pg_settings)" \
        start >/dev/null; then
        break
      fi
      if ((attempt == 5)); then
        parley_show_log
        parley_die "PostgreSQL did not start"
      fi
      parley_warn "PostgreSQL did not start (attempt $attempt); retrying…"
      sleep 2
    done
  fi

  parley_unlock
}

# Stops the cluster unless another parley script still uses it.
parley_cluster_release() {
  [[ -n $PARLEY_CLUSTER_HELD ]] || return 0
  parley_lock
  rm -f "$(parley_holders_dir)/$$"
  PARLEY_CLUSTER_HELD=
  local others
  others=$(parley_other_holders)
  if [[ -n $others ]]; then
    parley_say "leaving PostgreSQL running: still used by pid(s) ${others//$'\n'/ }"
  else
    if [[ -n $(parley_cluster_pid) ]]; then
      parley_say "stopping PostgreSQL…"
      parley_pg_ctl -m fast -w -t 60 stop >/dev/null || parley_warn "pg_ctl stop failed"
    fi
    # CI clones are thrown away, but a cluster under /tmp would outlive them.
    if [[ -n $PARLEY_DISCARD_TMP_CLUSTER && $PARLEY_PG_DATA == "$PARLEY_TMP"/* &&
      -z $(parley_cluster_pid) ]]; then
      parley_say "removing $PARLEY_PG_DATA"
      rm -rf "$PARLEY_PG_DATA"
    fi
  fi
  parley_unlock
}

parley_psql() {
  parley_as_owner "$PARLEY_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PARLEY_PG_SOCKDIR" \
    -p "$PARLEY_PG_PORT" -U "$PARLEY_PG_ROLE" -d postgres "$@"
}

parley_db_url() {
  printf 'postgresql://%s@/%s?host=%s&port=%s\n' "$PARLEY_PG_ROLE" "$1" "$PARLEY_PG_SOCKDIR" \
    "$PARLEY_PG_PORT"
}

# parley_db_ensure <name>: creates the database if it does not exist.
parley_db_ensure() {
  if [[ $(parley_psql -tAc "select 1 from pg_database where datname = '$1'") != 1 ]]; then
    parley_say "creating database $1"
    parley_psql -c "create database \"$1\""
  fi
}

# parley_db_recreate <name>: drops (disconnecting any session) and creates it afresh.
parley_db_recreate() {
  parley_psql -c "set client_min_messages = warning" \
    -c "drop database if exists \"$1\" with (force)" -c "create database \"$1\""
}
