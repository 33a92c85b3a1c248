#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace parley::bench {

using ojson = nlohmann::ordered_json;

namespace {

std::string show(const ojson& v) {
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v.get<double>());
    return buf;
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

void print_section(const char* title, const ojson& obj) {
  if (!obj.is_object() || obj.empty())
    return;
  std::printf("  %s\n", title);
  for (const auto& [k, v] : obj.items())
    std::printf("    %-30s %s\n", k.c_str(), show(v).c_str());
}

// Figures where less is better (times, memory, CPU).
bool lower_is_better(const std::string& key) {
  for (const char* part : {"_ms", "per_stream", "cpu", "seconds", "backlog"})
    if (key.find(part) != std::string::npos)
      return true;
  return false;
}

bool load(const std::string& path, ojson& out) {
  std::ifstream in{path};
  out = ojson::parse(in, nullptr, false);
  if (out.is_discarded() || !out.is_object()) {
    std::fprintf(stderr, "parley-bench: cannot read %s\n", path.c_str());
    return false;
  }
  return true;
}

} // namespace

void print_result(const ojson& r) {
  std::printf("parley-bench %s against %s (%s)\n",
              r.value("scenario", "?").c_str(), r.value("target", "?").c_str(),
              r.value("date", "").c_str());
  print_section("figures", r.value("figures", ojson::object()));
  const auto& steps = r.value("steps", ojson::array());
  if (!steps.empty()) {
    std::printf("  steps\n");
    for (const auto& s : steps) {
      std::string line;
      for (const auto& [k, v] : s.items())
        if (k.find("cpu") == std::string::npos || k == "server_cpu_percent")
          line += k + "=" + show(v) + " ";
      std::printf("    %s\n", line.c_str());
    }
  }
  print_section("spread of the runs [min, max]",
                r.value("spread", ojson::object()));
  print_section("checks", r.value("checks", ojson::object()));
  print_section("limits", r.value("limits", ojson::object()));
  std::printf("  load average before/after: %s / %s\n",
              r.value("loadavg_before", "?").c_str(),
              r.value("loadavg_after", "?").c_str());
  for (const auto& note : r.value("notes", ojson::array()))
    std::printf("  note: %s\n", show(note).c_str());
  const auto& failures = r.value("failures", ojson::array());
  if (failures.empty()) {
    std::printf("  result: OK\n");
  } else {
    std::printf("  result: FAILED\n");
    for (const auto& f : failures)
      std::printf("    - %s\n", show(f).c_str());
  }
  std::fflush(stdout);
}

namespace {

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

// The figure `key` of every run, if every run has it as a number.
bool numbers_of(const std::vector<ojson>& runs, const char* section,
                const std::string& key, std::vector<double>& out) {
  out.clear();
  for (const auto& r : runs) {
    const auto& part = r.value(section, ojson::object());
    if (!part.contains(key) || !part[key].is_number())
      return false;
    out.push_back(part[key].get<double>());
  }
  return true;
}

} // namespace

ojson median_of(const std::vector<ojson>& runs) {
  std::vector<ojson> results; // the runs that wrote one
  for (const auto& r : runs)
    if (!r.is_null())
      results.push_back(r);
  if (results.empty())
    return {};
  const auto& first = results.front();
  for (const auto& r : results)
    if (r.value("scenario", "") != first.value("scenario", "")
        || r.value("target", "") != first.value("target", ""))
      return {};
  ojson out = first;
  out.erase("steps"); // per run; each run's own file keeps them
  out["runs"] = runs.size();
  ojson figures = ojson::object(), spread = ojson::object(),
        checks = ojson::object(), failures = ojson::array();
  std::vector<double> xs;
  // Copies: items() of a temporary would outlive it.
  const auto first_figures = first.value("figures", ojson::object());
  const auto first_checks = first.value("checks", ojson::object());
  for (const auto& [k, v] : first_figures.items()) {
    if (!numbers_of(results, "figures", k, xs)) {
      figures[k] = v;
      continue;
    }
    figures[k] = median(xs);
    spread[k] = {*std::min_element(xs.begin(), xs.end()),
                 *std::max_element(xs.begin(), xs.end())};
  }
  for (const auto& [k, v] : first_checks.items()) {
    if (!numbers_of(results, "checks", k, xs)) {
      checks[k] = v;
      continue;
    }
    double sum = 0; // checks are counts: over the runs they add up
    for (double x : xs)
      sum += x;
    checks[k] = sum;
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto run = "run " + std::to_string(i + 1) + ": ";
    if (runs[i].is_null()) {
      failures.push_back(run + "no result (its JSON is missing or unreadable)");
      continue;
    }
    const auto run_failures = runs[i].value("failures", ojson::array());
    for (const auto& f : run_failures)
      failures.push_back(run + show(f));
  }
  out["figures"] = figures;
  out["spread"] = spread;
  out["checks"] = checks;
  out["failures"] = failures;
  out["ok"] = failures.empty();
  return out;
}

int median_results(const std::string& out,
                   const std::vector<std::string>& runs) {
  // A run that aborted wrote no JSON: the median is of the others, and the
  // missing run is a failure, so the rest of a long --repeat is not lost.
  std::vector<ojson> loaded(runs.size());
  for (size_t i = 0; i < runs.size(); ++i)
    if (!load(runs[i], loaded[i]))
      loaded[i] = nullptr;
  auto result = median_of(loaded);
  if (result.empty()) {
    std::fprintf(stderr, "parley-bench: no run has a result, or the runs are "
                         "of different scenarios or targets\n");
    return 2;
  }
  std::ofstream file{out};
  file << result.dump(2) << "\n";
  if (!file) {
    std::fprintf(stderr, "parley-bench: cannot write %s\n", out.c_str());
    return 2;
  }
  std::printf("median of %zu runs:\n", runs.size());
  print_result(result);
  return result["ok"].get<bool>() ? 0 : 1;
}

int compare_results(const std::string& first, const std::string& second) {
  ojson a, b;
  if (!load(first, a) || !load(second, b))
    return 2;
  auto fa = a.value("figures", ojson::object());
  auto fb = b.value("figures", ojson::object());
  std::printf("%s: %s vs %s", a.value("scenario", "?").c_str(),
              a.value("target", "?").c_str(), b.value("target", "?").c_str());
  if (a.contains("runs") || b.contains("runs"))
    std::printf(" (medians of %d and %d runs)", a.value("runs", 1),
                b.value("runs", 1));
  std::printf("\n");
  std::printf("  %-30s %14s %14s %10s\n", "figure",
              a.value("target", "a").c_str(), b.value("target", "b").c_str(),
              "ratio");
  for (const auto& [k, va] : fa.items()) {
    if (!va.is_number() || !fb.contains(k) || !fb[k].is_number())
      continue;
    double x = va.get<double>(), y = fb[k].get<double>();
    char ratio[32] = "-";
    if (y != 0)
      std::snprintf(ratio, sizeof ratio, "%.2f", x / y);
    std::printf("  %-30s %14s %14s %10s%s\n", k.c_str(), show(va).c_str(),
                show(fb[k]).c_str(), ratio,
                lower_is_better(k) ? "  (lower is better)" : "");
  }
  bool ok = a.value("failures", ojson::array()).empty()
            && b.value("failures", ojson::array()).empty();
  std::printf("  both runs clean: %s\n", ok ? "yes" : "NO");
  return ok ? 0 : 1;
}

} // namespace parley::bench
