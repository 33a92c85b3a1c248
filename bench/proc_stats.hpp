#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

/// Memory and CPU of a set of processes, read from /proc.
struct proc_sample {
  int64_t rss_kib = 0;   // sum of VmRSS
  int64_t pss_kib = 0;   // sum of Pss (shared pages split between sharers)
  int64_t cpu_ticks = 0; // sum of utime + stime
  int processes = 0;     // how many could be read
};

/// Reads `pids` and, for each, its direct children (nginx workers, the
/// PostgreSQL backends). Unreadable pids are skipped.
proc_sample sample_processes(const std::vector<int>& pids);

/// The kernel's TCP socket counters from /proc/net/sockstat.
struct sockstat {
  int64_t inuse = 0;
  int64_t time_wait = 0;
  int64_t alloc = 0;
  int64_t mem_pages = 0; // kernel memory of all TCP sockets, in pages
};
sockstat read_sockstat();

/// Kernel slab memory (socket structures live there) from /proc/meminfo.
int64_t read_slab_kib();

/// Clock ticks per second (for cpu_ticks) and the page size.
int64_t clock_ticks();
int64_t page_size();

/// This process's CPU time (user + system) in seconds.
double self_cpu_seconds();

/// RLIMIT_NOFILE before and after raising the soft limit to the hard one.
struct fd_limits {
  uint64_t soft_before = 0;
  uint64_t soft = 0;
  uint64_t hard = 0;
};
fd_limits raise_fd_limit();

} // namespace parley::bench
