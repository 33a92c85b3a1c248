#include "net/text.hpp"

#include <catch2/catch.hpp>

using namespace parley;

TEST_CASE("normalize_content collapses whitespace per line", "[text]") {
  CHECK(normalize_content("  hello   world \n\n  second \t line ")
        == "hello world\nsecond line");
  CHECK(normalize_content("a\r\nb") == "a\nb");
  CHECK(normalize_content("   \n \t\n") == "");
  CHECK(normalize_content("") == "");
  CHECK(normalize_content("x") == "x");
  CHECK(normalize_content("\n\nx\n\n") == "x");
  CHECK(normalize_content("é  ü") == "é ü");
}

TEST_CASE("UTF-8 validation is strict", "[text]") {
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("é 😀 ✓"));
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\xc3"));             // truncated
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));     // overlong, 3 bytes
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // past U+10FFFF
}

TEST_CASE("code points, not bytes", "[text]") {
  CHECK(count_code_points("abc") == 3);
  CHECK(count_code_points("é") == 1);
  CHECK(count_code_points("😀😀") == 2);
  std::string emoji;
  for (int i = 0; i < 480; ++i)
    emoji += "😀";
  CHECK(count_code_points(emoji) == 480);
}

TEST_CASE("control characters are refused", "[text]") {
  CHECK(has_forbidden_control(std::string("a\0b", 3)));
  CHECK(has_forbidden_control("a\x07"));
  CHECK(has_forbidden_control("\x7f"));
  CHECK_FALSE(has_forbidden_control("line\nline\ttab"));
}

TEST_CASE("username rule", "[text]") {
  CHECK(is_valid_username("john"));
  CHECK(is_valid_username("J0hn_doe-1"));
  CHECK(is_valid_username(std::string(39, 'a')));
  CHECK_FALSE(is_valid_username(std::string(40, 'a')));
  CHECK_FALSE(is_valid_username(""));
  CHECK_FALSE(is_valid_username("_john"));
  CHECK_FALSE(is_valid_username("-john"));
  CHECK_FALSE(is_valid_username("jo hn"));
  CHECK_FALSE(is_valid_username("john'; DROP TABLE users; --"));
  CHECK_FALSE(is_valid_username("jöhn"));
}

TEST_CASE("idempotency key rule: 1 to 64 visible ASCII characters", "[text]") {
  CHECK(is_valid_idempotency_key("k"));
  CHECK(is_valid_idempotency_key("0f8fad5b-d9cb-469f-a165-70867728950e"));
  CHECK(is_valid_idempotency_key("!~\"{}"));
  CHECK(is_valid_idempotency_key(std::string(64, 'k')));
  CHECK_FALSE(is_valid_idempotency_key(std::string(65, 'k')));
  CHECK_FALSE(is_valid_idempotency_key(""));
  CHECK_FALSE(is_valid_idempotency_key("a b"));
  CHECK_FALSE(is_valid_idempotency_key("a\tb"));
  CHECK_FALSE(is_valid_idempotency_key("\x7f"));
  CHECK_FALSE(is_valid_idempotency_key("kl\xc3\xbc"));
}

TEST_CASE("parse_id accepts positive int64 only", "[text]") {
  CHECK(parse_id("42") == 42);
  CHECK(parse_id("9223372036854775807") == INT64_MAX);
  CHECK_FALSE(parse_id("9223372036854775808"));
  CHECK_FALSE(parse_id("99999999999999999999999"));
  CHECK_FALSE(parse_id(""));
  CHECK_FALSE(parse_id("0"));
  CHECK_FALSE(parse_id("-1"));
  CHECK_FALSE(parse_id("+1"));
  CHECK_FALSE(parse_id("abc"));
  CHECK_FALSE(parse_id("1e3"));
  CHECK_FALSE(parse_id("12 "));
}

TEST_CASE("percent_decode", "[text]") {
  CHECK(percent_decode("a%20b", false) == "a b");
  CHECK(percent_decode("a+b", true) == "a b");
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("%41%42", false) == "AB");
  CHECK_FALSE(percent_decode("%4", false));
  CHECK_FALSE(percent_decode("%", false));
  CHECK_FALSE(percent_decode("%zz", false));
}

TEST_CASE("percent_encode keeps only unreserved bytes", "[text]") {
  CHECK(percent_encode("abcXYZ019-._~") == "abcXYZ019-._~");
  CHECK(percent_encode("a b&c=d/e?") == "a%20b%26c%3Dd%2Fe%3F");
  CHECK(percent_encode("\xc3\xa9") == "%C3%A9");
  CHECK(percent_decode(percent_encode("x+y %&"), true) == "x+y %&");
}
