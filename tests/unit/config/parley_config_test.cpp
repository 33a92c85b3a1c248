#include "config/parley_config.hpp"

#include <memory>
#include <vector>

#include <catch2/catch.hpp>

using namespace parley;
using std::chrono::milliseconds;

TEST_CASE("sizes", "[config]") {
  CHECK(parse_size("64KiB") == 64 * 1024);
  CHECK(parse_size("1MiB") == 1024 * 1024);
  CHECK(parse_size("512") == 512);
  CHECK(parse_size("2 kB") == 2048);
  CHECK_FALSE(parse_size(""));
  CHECK_FALSE(parse_size("KiB"));
  CHECK_FALSE(parse_size("12 parsecs"));
  CHECK_FALSE(parse_size("99999999999999999999999"));
}

TEST_CASE("durations", "[config]") {
  CHECK(parse_duration("14d") == milliseconds(14LL * 24 * 3600 * 1000));
  CHECK(parse_duration("15s") == milliseconds(15000));
  CHECK(parse_duration("250ms") == milliseconds(250));
  CHECK(parse_duration("2min") == milliseconds(120000));
  CHECK(parse_duration("3h") == milliseconds(3 * 3600 * 1000));
  CHECK_FALSE(parse_duration("soon"));
  CHECK_FALSE(parse_duration("5 fortnights"));
}

TEST_CASE("settings validate every key", "[config]") {
  parley_config cfg;
  std::string error;
  auto s = make_settings(cfg, error);
  REQUIRE(s);
  CHECK(error.empty());
  CHECK(s->token_lifetime == std::chrono::hours(14 * 24));
  CHECK(s->max_body == 64 * 1024);
  CHECK(s->jwt_key_generated);
  CHECK(s->jwt_key.size() == 64);
  CHECK(s->io_threads >= 1);
  cfg.max_body = "lots";
  CHECK_FALSE(make_settings(cfg, error));
  CHECK(error.find("max-body") != std::string::npos);
}

TEST_CASE("post writers are at least one and at most the pool", "[config]") {
  parley_config cfg;
  std::string error;
  CHECK(make_settings(cfg, error)->db_writers == 2); // of 4
  cfg.db_pool_size = 1;
  CHECK(make_settings(cfg, error)->db_writers == 1);
  cfg.db_pool_size = 8;
  cfg.db_writers = 0;
  CHECK(make_settings(cfg, error)->db_writers == 1);
  cfg.db_writers = 8;
  CHECK(make_settings(cfg, error)->db_writers == 8);
}

TEST_CASE("the statement timeout is a duration of at least 100ms", "[config]") {
  parley_config cfg;
  std::string error;
  CHECK(make_settings(cfg, error)->db_statement_timeout
        == std::chrono::seconds(15));
  cfg.db_statement_timeout = "250ms";
  CHECK(make_settings(cfg, error)->db_statement_timeout
        == std::chrono::milliseconds(250));
  for (const char* bad : {"50ms", "0", "soon", ""}) {
    INFO("value " << bad);
    cfg.db_statement_timeout = bad;
    error.clear();
    CHECK_FALSE(make_settings(cfg, error));
    CHECK(error.find("db-statement-timeout") != std::string::npos);
  }
}

TEST_CASE("the INI file and the command line both set keys", "[config]") {
  parley_config cfg;
  std::string ini = std::string{PARLEY_SOURCE_DIR} + "/config/parley.ini";
  std::string file_arg = "--config-file=" + ini;
  std::vector<std::string> args
    = {"parley", file_arg, "--parley.port=9100", "--parley.token-lifetime=3s"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  REQUIRE_FALSE(cfg.parse(static_cast<int>(argv.size()), argv.data()));
  CHECK(cfg.port == 9100);
  CHECK(cfg.dev_login); // from the INI file
  CHECK(cfg.max_body == "64KiB");
  std::string error;
  auto s = make_settings(cfg, error);
  REQUIRE(s);
  CHECK(s->token_lifetime == std::chrono::seconds(3));
}

TEST_CASE("the post limit: a rate from the INI file or the command line, "
          "whole or not, 0 for no limit, and a limit needs a burst",
          "[config][rate_limit]") {
  std::string ini = std::string{PARLEY_SOURCE_DIR} + "/config/parley.ini";
  auto parse = [&](std::vector<std::string> extra) {
    auto cfg = std::make_unique<parley_config>();
    std::vector<std::string> args = {"parley", "--config-file=" + ini};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    REQUIRE_FALSE(cfg->parse(static_cast<int>(argv.size()), argv.data()));
    return cfg;
  };
  std::string error;
  auto from_ini = make_settings(*parse({}), error);
  REQUIRE(from_ini);
  CHECK(from_ini->post_rate == 5.0);
  CHECK(from_ini->post_burst == 20);
  auto whole = make_settings(*parse({"--parley.post-rate=2"}), error);
  REQUIRE(whole);
  CHECK(whole->post_rate == 2.0);
  auto part = make_settings(
    *parse({"--parley.post-rate=0.25", "--parley.post-burst=3"}), error);
  REQUIRE(part);
  CHECK(part->post_rate == 0.25);
  CHECK(part->post_burst == 3);
  auto off = make_settings(
    *parse({"--parley.post-rate=0", "--parley.post-burst=0"}), error);
  REQUIRE(off);
  CHECK(off->post_rate == 0);
  for (std::vector<std::string> bad :
       {std::vector<std::string>{"--parley.post-rate=-1"},
        {"--parley.post-rate=1", "--parley.post-burst=0"}}) {
    INFO(bad.back());
    error.clear();
    CHECK_FALSE(make_settings(*parse(bad), error));
    CHECK(error.find("parley.post-") != std::string::npos);
  }
}

TEST_CASE("the request limit has the post limit's rules, with its own keys",
          "[config][rate_limit]") {
  parley_config cfg;
  std::string error;
  auto s = make_settings(cfg, error);
  REQUIRE(s);
  CHECK(s->request_rate == 50.0);
  CHECK(s->request_burst == 100);
  cfg.request_rate = 0;
  cfg.request_burst = 0;
  CHECK(make_settings(cfg, error)); // off needs no burst
  cfg.request_rate = 2;
  error.clear();
  CHECK_FALSE(make_settings(cfg, error));
  CHECK(error.find("parley.request-burst") != std::string::npos);
  for (double bad : {-1.0, 0.0001, 2e6}) {
    INFO("rate " << bad);
    cfg.request_rate = bad;
    error.clear();
    CHECK_FALSE(make_settings(cfg, error));
    CHECK(error.find("parley.request-rate") != std::string::npos);
  }
}

TEST_CASE("GitHub login is off by default and checked when on", "[config]") {
  parley_config cfg;
  std::string error;
  auto s = make_settings(cfg, error);
  REQUIRE(s);
  CHECK(s->github_client_id.empty());
  CHECK(s->github_authorize_url == "https://github.com/login/oauth/authorize");
  CHECK(s->github_token_url == "https://github.com/login/oauth/access_token");
  CHECK(s->github_user_url == "https://api.github.com/user");

  cfg.github_client_id = "app-id";
  CHECK_FALSE(make_settings(cfg, error));
  CHECK(error.find("github-client-secret") != std::string::npos);

  cfg.github_client_secret = "app-secret";
  error.clear();
  s = make_settings(cfg, error);
  REQUIRE(s);
  CHECK(s->github_client_secret == "app-secret");

  cfg.github_token_url = "ftp://github.com/token";
  error.clear();
  CHECK_FALSE(make_settings(cfg, error));
  CHECK(error.find("github-token-url") != std::string::npos);

  cfg.github_token_url = "http://127.0.0.1:9000/token";
  cfg.origin = "localhost:8080"; // no scheme: no callback URL can be made
  error.clear();
  CHECK_FALSE(make_settings(cfg, error));
  CHECK(error.find("parley.origin") != std::string::npos);

  cfg.origin = "https://chat.example.org/app";
  error.clear();
  CHECK_FALSE(make_settings(cfg, error));
  CHECK(error.find("parley.origin") != std::string::npos);
  cfg.origin = "https://chat.example.org/";
  error.clear();
  CHECK(make_settings(cfg, error));

  // With GitHub login off, the URLs are not used and not checked.
  cfg.github_client_id.clear();
  error.clear();
  CHECK(make_settings(cfg, error));
}

TEST_CASE("dev-login=false on the command line turns the INI's true off",
          "[config]") {
  std::vector<std::string> args = {"parley",
                                   "--parley.port=1",
                                   "--parley.dev-login=false",
                                   "--parley.dev-login=true",
                                   "--parley.dev-login=false",
                                   "--parley.dev-login=maybe"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  auto value = take_dev_login_argument(argv);
  REQUIRE(value);
  CHECK_FALSE(*value); // the last one
  REQUIRE(argv.size() == 3);
  CHECK(std::string{argv[1]} == "--parley.port=1");
  CHECK(std::string{argv[2]} == "--parley.dev-login=maybe"); // CAF refuses it

  std::vector<char*> none{args[0].data(), args[1].data()};
  CHECK_FALSE(take_dev_login_argument(none));
  CHECK(none.size() == 2);
}

TEST_CASE("the allowance of stream opens has the post limit's rules, with its "
          "own keys",
          "[config][rate_limit]") {
  parley_config cfg;
  std::string error;
  auto s = make_settings(cfg, error);
  REQUIRE(s);
  CHECK(s->sse_open_rate == 1.0);
  CHECK(s->sse_open_burst == 64);
  cfg.sse_open_rate = 0;
  cfg.sse_open_burst = 0;
  CHECK(make_settings(cfg, error)); // off needs no burst
  cfg.sse_open_rate = 0.5;
  error.clear();
  CHECK_FALSE(make_settings(cfg, error));
  CHECK(error.find("parley.sse-open-burst") != std::string::npos);
  cfg.sse_open_burst = 3;
  error.clear();
  s = make_settings(cfg, error);
  REQUIRE(s);
  CHECK(s->sse_open_rate == 0.5);
  CHECK(s->sse_open_burst == 3);
  for (double bad : {-1.0, 0.0001, 2e6}) {
    INFO("rate " << bad);
    cfg.sse_open_rate = bad;
    error.clear();
    CHECK_FALSE(make_settings(cfg, error));
    CHECK(error.find("parley.sse-open-rate") != std::string::npos);
  }
}
