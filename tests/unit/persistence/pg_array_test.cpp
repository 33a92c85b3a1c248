#include <catch2/catch.hpp>

#include "persistence/pg_array.hpp"

using parley::pg_array;

TEST_CASE("integer arrays are comma-separated in braces", "[pg_array]") {
  CHECK(pg_array(std::vector<int64_t>{}) == "{}");
  CHECK(pg_array(std::vector<int64_t>{42}) == "{42}");
  CHECK(pg_array(std::vector<int64_t>{1, -2, 9223372036854775807})
        == "{1,-2,9223372036854775807}");
}

TEST_CASE("text arrays quote every element and escape quote and backslash",
          "[pg_array]") {
  using texts = std::vector<std::string>;
  CHECK(pg_array(texts{}) == "{}");
  CHECK(pg_array(texts{"a", ""}) == R"({"a",""})");
  CHECK(pg_array(texts{"NULL", "{x,y}", "a b"}) == R"({"NULL","{x,y}","a b"})");
  CHECK(pg_array(texts{R"(say "hi")", R"(C:\dir\)"})
        == R"({"say \"hi\"","C:\\dir\\"})");
  CHECK(pg_array(texts{"line\nnext", "ünï"}) == "{\"line\nnext\",\"ünï\"}");
}
