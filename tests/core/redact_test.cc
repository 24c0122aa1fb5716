// Redaction of provider error text, log lines and stored errors (core/redact.h).
#include "haystack/core/redact.h"

#include <catch2/catch.hpp>

namespace haystack {
namespace {

TEST_CASE("provider keys and tokens are redacted by their shape") {
  CHECK(RedactSecrets("bad key SG.abcdefgh12345678.ABCDEFGHijklmnop_-12 given") ==
        "bad key [REDACTED] given");
  CHECK(RedactSecrets("Incorrect API key provided: sk-proj-abcdefghijklmnop1234.") ==
        "Incorrect API key provided: [REDACTED].");
  CHECK(RedactSecrets("x sk-ant-api03-abcdefghijklmnopqrstuvwx y") == "x [REDACTED] y");
  CHECK(RedactSecrets("key=AIzaSyA1234567890abcdefghijklmnopqrstu") == "key=[REDACTED]");
  CHECK(RedactSecrets("token ya29.a0AfH6SMBx1234567890 expired") == "token [REDACTED] expired");
  CHECK(RedactSecrets("jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl!") ==
        "jwt [REDACTED]!");
  CHECK(RedactSecrets("AKIAIOSFODNN7EXAMPLE in the log") == "[REDACTED] in the log");
  CHECK(RedactSecrets("ghp_abcdefghijklmnopqrstuvwxyz0123456789 x") == "[REDACTED] x");
  // Not secrets: words that merely start like one.
  CHECK(RedactSecrets("skim sk-short SG.x.y eyJ alone") == "skim sk-short SG.x.y eyJ alone");
}

TEST_CASE("bearer tokens, authorization headers and secret-looking values are redacted") {
  CHECK(RedactSecrets("Authorization: Bearer abc.def") == "Authorization: Bearer [REDACTED]");
  CHECK(RedactSecrets("authorization: Basic dXNlcjpwYXNz\nnext") ==
        "authorization: Basic [REDACTED]\nnext");
  CHECK(RedactSecrets("sent bearer   abc/def+ghi= twice") == "sent bearer   [REDACTED] twice");
  CHECK(RedactSecrets("host=db password=secret dbname=x") ==
        "host=db password=[REDACTED] dbname=x");
  CHECK(RedactSecrets(R"({"api_key": "my-local-key", "model": "m"})") ==
        R"({"api_key": "[REDACTED]", "model": "m"})");
  CHECK(RedactSecrets(R"({"error":{"x-api-key":"abc\"def"}})") ==
        R"({"error":{"x-api-key":"[REDACTED]"}})");
  CHECK(RedactSecrets("HAYSTACK_SENDGRID_API_KEY=whatever-it-is") ==
        "HAYSTACK_SENDGRID_API_KEY=[REDACTED]");
  CHECK(RedactSecrets("https://x/o?X-Goog-Signature=abcdef&b=1") ==
        "https://x/o?X-Goog-Signature=[REDACTED]&b=1");
  // A name that only ends in "key" is not a secret name.
  CHECK(RedactSecrets("monkey: banana") == "monkey: banana");
}

TEST_CASE("credentials in URLs are redacted, host and user stay") {
  CHECK(RedactSecrets("postgresql://app:hunter2@db:5432/haystack") ==
        "postgresql://app:[REDACTED]@db:5432/haystack");
  CHECK(RedactSecrets("https://ghs_token_as_a_username_123@github.example/x") ==
        "https://[REDACTED]@github.example/x");
  CHECK(RedactSecrets("mailto ada@example.org and https://example.org/a@b") ==
        "mailto ada@example.org and https://example.org/a@b");
}

TEST_CASE("PEM private keys are redacted whole") {
  CHECK(RedactSecrets("key: -----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----\\n.") ==
        "key: [REDACTED]\\n.");
  CHECK(RedactSecrets("-----BEGIN RSA PRIVATE KEY-----\nMIIE cut off") == "[REDACTED]");
  CHECK(RedactSecrets("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----") ==
        "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----");
}

TEST_CASE("a key the caller knows is redacted in whatever form it is echoed") {
  const std::string key = "my-custom-relay-key-42";
  CHECK(RedactSecrets("relay says: wrong credential my-custom-relay-key-42!", {key}) ==
        "relay says: wrong credential [REDACTED]!");
  CHECK(RedactKnownSecrets("a my-custom-relay-key-42my-custom-relay-key-42 b password=x", {key}) ==
        "a [REDACTED] b password=x");
  // Too short to search for: it would match ordinary text.
  CHECK(RedactSecrets("the cat sat", {"cat"}) == "the cat sat");
  CHECK(RedactSecrets("empty key", {""}) == "empty key");
}

TEST_CASE("a megabyte of provider text is redacted without recursion") {
  // libstdc++'s std::regex recursed once per character here and overflowed the stack.
  const std::string body = "password=" + std::string(1 << 20, 'a') + " tail";
  CHECK(RedactSecrets(body) == "password=[REDACTED] tail");
  const std::string bearer = "Bearer " + std::string(1 << 20, 'b');
  CHECK(RedactSecrets(bearer) == "Bearer [REDACTED]");
  const std::string url = "https://u:" + std::string(1 << 20, 'p') + "@h/";
  CHECK(RedactSecrets(url) == "https://u:[REDACTED]@h/");
}

}  // namespace
}  // namespace haystack
