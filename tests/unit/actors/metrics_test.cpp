// The /metrics building blocks: histogram buckets, per-endpoint request
// counts, and the lock-free statement-name table.

#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/metrics.hpp"

using namespace parley;
using namespace std::chrono_literals;

TEST_CASE("a histogram counts each observation in the first bucket whose "
          "bound holds it, cumulatively",
          "[unit][metrics]") {
  histogram h;
  h.observe(100us); // <= 0.0005
  h.observe(500us); // == 0.0005: bounds are inclusive (Prometheus "le")
  h.observe(3ms);   // <= 0.005
  h.observe(20s);   // above every bound: +Inf only
  auto snap = h.read();
  CHECK(snap.le[0] == 2);
  CHECK(snap.le[1] == 2);                            // 0.001
  CHECK(snap.le[2] == 2);                            // 0.0025
  CHECK(snap.le[3] == 3);                            // 0.005
  CHECK(snap.le[histogram::bounds.size() - 1] == 3); // 10 s
  CHECK(h.count() == 4);
  CHECK(static_cast<double>(snap.sum_ns) / 1e9 == Approx(20.0036));
}

TEST_CASE("request counts are kept per endpoint and status, and ignore what "
          "is out of range",
          "[unit][metrics]") {
  request_metrics m;
  m.observe(3, 201, 1ms);
  m.observe(3, 201, 2ms);
  m.count(3, 401);
  m.count(4, 201);
  CHECK(m.requests(3, 201) == 2);
  CHECK(m.requests(3, 401) == 1);
  CHECK(m.requests(4, 201) == 1);
  CHECK(m.requests(3, 200) == 0);
  CHECK(m.latency(3).count() == 2); // count() records no latency
  CHECK(m.latency(4).count() == 0);
  m.count(request_metrics::endpoints, 200);
  m.count(3, 99);
  m.count(3, 600);
  CHECK(m.requests(request_metrics::endpoints, 200) == 0);
  CHECK(m.requests(3, 600) == 0);
}

TEST_CASE("statement names get one slot each, by content, and overflow into "
          "one last slot",
          "[unit][metrics]") {
  db_metrics db;
  db.observe("login", 1ms);
  std::string same = "login"; // another pointer, the same name
  db.observe(same.c_str(), 1ms);
  db.observe("msg_post", 1ms);
  REQUIRE(db.name(0) != nullptr);
  CHECK(std::string{db.name(0)} == "login");
  CHECK(db.latency(0).count() == 2);
  CHECK(std::string{db.name(1)} == "msg_post");
  CHECK(db.name(2) == nullptr);
  // Names live as long as the table: string literals in production.
  std::vector<std::string> names;
  for (size_t i = 0; i < db_metrics::slots + 3; ++i)
    names.push_back("q" + std::to_string(i));
  for (const auto& n : names)
    db.observe(n.c_str(), 1ms);
  CHECK(std::string{db.name(db_metrics::slots - 2)}
        == "q" + std::to_string(db_metrics::slots - 4));
  CHECK(std::string{db.name(db_metrics::slots - 1)} == "_overflow");
  CHECK(db.latency(db_metrics::slots - 1).count() == 6);
}

TEST_CASE("threads registering the same statement names meet in the same "
          "slots",
          "[unit][metrics]") {
  db_metrics db;
  const char* names[] = {"a", "b", "c", "d", "e", "f"};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&db, &names, t] {
      for (int round = 0; round < 1000; ++round)
        db.observe(names[(round + t) % 6], 1us);
    });
  for (auto& t : threads)
    t.join();
  int64_t total = 0;
  for (size_t i = 0; i < 6; ++i) {
    REQUIRE(db.name(i) != nullptr);
    total += db.latency(i).count();
  }
  CHECK(db.name(6) == nullptr);
  CHECK(total == 4000);
}
