// The Catch2 runner for the integration tests. Each TEST_CASE starts its
// own `parley` child process (see server_process.hpp); ctest runs each
// TEST_CASE as a separate process, two at a time.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
