#include "proc_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

namespace parley::bench {

namespace {

// Field `key:` of a /proc "key: value kB" file, in kB; -1 if absent.
int64_t kib_field(const std::string& path, const std::string& key) {
  std::ifstream in{path};
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size()
        && line[key.size()] == ':')
      return std::stoll(line.substr(key.size() + 1));
  return -1;
}

// utime + stime and the parent pid from /proc/<pid>/stat; false if gone.
bool read_stat(int pid, int64_t& ticks, int& ppid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text;
  if (!std::getline(in, text))
    return false;
  // The command name may hold spaces: fields start after the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return false;
  std::istringstream fields{text.substr(close + 2)};
  std::string f;
  int64_t utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 4)
      ppid = std::stoi(f);
    else if (i == 14)
      utime = std::stoll(f);
    else if (i == 15) {
      stime = std::stoll(f);
      break;
    }
  }
  ticks = utime + stime;
  return true;
}

std::vector<int> all_pids() {
  std::vector<int> pids;
  if (DIR* dir = opendir("/proc")) {
    while (auto* e = readdir(dir))
      if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
        pids.push_back(std::atoi(e->d_name));
    closedir(dir);
  }
  return pids;
}

} // namespace

proc_sample sample_processes(const std::vector<int>& pids) {
  proc_sample out;
  if (pids.empty())
    return out;
  std::set<int> wanted{pids.begin(), pids.end()};
  std::set<int> parents = wanted;
  for (int pid : all_pids()) {
    int64_t ticks = 0;
    int ppid = 0;
    if (!wanted.count(pid) && read_stat(pid, ticks, ppid)
        && parents.count(ppid))
      wanted.insert(pid);
  }
  for (int pid : wanted) {
    int64_t ticks = 0;
    int ppid = 0;
    if (!read_stat(pid, ticks, ppid))
      continue;
    auto base = "/proc/" + std::to_string(pid);
    auto rss = kib_field(base + "/status", "VmRSS");
    auto pss = kib_field(base + "/smaps_rollup", "Pss");
    out.cpu_ticks += ticks;
    out.rss_kib += rss > 0 ? rss : 0;
    out.pss_kib += pss > 0 ? pss : (rss > 0 ? rss : 0);
    out.processes++;
  }
  return out;
}

sockstat read_sockstat() {
  sockstat s;
  std::ifstream in{"/proc/net/sockstat"};
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, 4, "TCP:") != 0)
      continue;
    std::istringstream words{line.substr(4)};
    std::string key;
    int64_t value = 0;
    while (words >> key >> value) {
      if (key == "inuse")
        s.inuse = value;
      else if (key == "tw")
        s.time_wait = value;
      else if (key == "alloc")
        s.alloc = value;
      else if (key == "mem")
        s.mem_pages = value;
    }
  }
  return s;
}

int64_t read_slab_kib() {
  return kib_field("/proc/meminfo", "Slab");
}

int64_t clock_ticks() {
  return sysconf(_SC_CLK_TCK);
}

int64_t page_size() {
  return sysconf(_SC_PAGESIZE);
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec)
           + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

fd_limits raise_fd_limit() {
  fd_limits out;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return out;
  out.soft_before = lim.rlim_cur;
  out.hard = lim.rlim_max;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim); // checked by reading it back
  }
  getrlimit(RLIMIT_NOFILE, &lim);
  out.soft = lim.rlim_cur;
  return out;
}

} // namespace parley::bench
