#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::bench {

/// Prints one run's result (the JSON main writes) as a table on stdout.
void print_result(const nlohmann::ordered_json& result);

/// Prints two runs of the same scenario side by side with their ratio
/// (first / second); returns the exit status.
int compare_results(const std::string& first, const std::string& second);

/// Several runs of one scenario against one target as one result: each
/// numeric figure is the runs' median (the mean of the middle two for an
/// even count), with its [min, max] in "spread"; checks (counts) are summed,
/// failures kept (with their run's number), "runs" says how many. A null run is
/// one that left no result: the figures are the others', and it is a failure.
/// Metadata (options, limits) are the first result's. Empty if no run has a
/// result or the runs are of different scenarios or targets.
nlohmann::ordered_json
median_of(const std::vector<nlohmann::ordered_json>& runs);

/// Reads the runs, writes median_of() to `out` and prints it; returns the
/// exit status (0: every run clean, 1: some run failed, 2: unusable input).
int median_results(const std::string& out,
                   const std::vector<std::string>& runs);

} // namespace parley::bench
