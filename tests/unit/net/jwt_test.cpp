#include "net/jwt.hpp"

#include <catch2/catch.hpp>

using namespace parley;

namespace {

const std::string key = "unit-test-key";
constexpr int64_t now = 1'700'000'000;

} // namespace

TEST_CASE("base64url round trip", "[jwt]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"})
    CHECK(base64url_decode(base64url_encode(s)) == s);
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64url_decode("ab=c"));
  CHECK_FALSE(base64url_decode("a")); // 6 bits cannot be a byte
}

TEST_CASE("a signed token verifies and keeps its claims", "[jwt]") {
  auto token = jwt_sign({42, now, now + 60}, key);
  auto claims = jwt_verify(token, key, now);
  REQUIRE(claims);
  CHECK(claims->sub == 42);
  CHECK(claims->iat == now);
  CHECK(claims->exp == now + 60);
}

TEST_CASE("expiry is enforced", "[jwt]") {
  auto token = jwt_sign({42, now, now + 60}, key);
  CHECK(jwt_verify(token, key, now + 59));
  CHECK_FALSE(jwt_verify(token, key, now + 60));
  CHECK_FALSE(jwt_verify(token, key, now + 3600));
}

TEST_CASE("wrong key, tampering and malformed tokens fail", "[jwt]") {
  auto token = jwt_sign({42, now, now + 60}, key);
  CHECK_FALSE(jwt_verify(token, "other-key", now));
  auto first = token.find('.');
  auto last = token.rfind('.');
  // Claims of user 43, re-encoded, with the old signature.
  auto forged_payload
    = base64url_encode(R"({"sub":"43","iat":1700000000,"exp":1700000060})");
  auto forged
    = token.substr(0, first + 1) + forged_payload + token.substr(last);
  CHECK_FALSE(jwt_verify(forged, key, now));
  auto flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(jwt_verify(flipped, key, now));
  CHECK_FALSE(jwt_verify("", key, now));
  CHECK_FALSE(jwt_verify("abc", key, now));
  CHECK_FALSE(jwt_verify("a.b", key, now));
  CHECK_FALSE(jwt_verify("a.b.c.d", key, now));
  CHECK_FALSE(jwt_verify(token + "x", key, now));
}

TEST_CASE("alg none is refused even with an empty signature", "[jwt]") {
  auto header = base64url_encode(R"({"alg":"none","typ":"JWT"})");
  auto payload = base64url_encode(R"({"sub":"1","iat":1,"exp":9999999999})");
  CHECK_FALSE(jwt_verify(header + "." + payload + ".", key, now));
}

TEST_CASE("well-signed tokens with malformed claims fail", "[jwt]") {
  auto ok = jwt_sign_payload(R"({"sub":"5","iat":1,"exp":9999999999})", key);
  CHECK(jwt_verify(ok, key, now));
  for (const char* payload :
       {R"({"sub":5,"iat":1,"exp":9999999999})",     // sub not a string
        R"({"sub":"x","iat":1,"exp":9999999999})",   // sub not an id
        R"({"sub":"0","iat":1,"exp":9999999999})",   // no user 0
        R"({"sub":"5","iat":1,"exp":"9999999999"})", // exp not a number
        R"({"sub":"5","iat":1})",                    // no exp
        R"({"sub":"5","exp":9999999999})",           // no iat
        R"(["sub"])",                                // not an object
        "not json"}) {
    INFO(payload);
    CHECK_FALSE(jwt_verify(jwt_sign_payload(payload, key), key, now));
  }
}
