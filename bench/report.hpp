#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace parley::bench {

/// Prints one run's result (the JSON main writes) as a table on stdout.
void print_result(const nlohmann::ordered_json& result);

/// Prints two runs of the same scenario side by side with their ratio
/// (first / second); returns the exit status.
int compare_results(const std::string& first, const std::string& second);

} // namespace parley::bench
