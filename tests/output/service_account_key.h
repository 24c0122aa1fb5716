// A throwaway RSA key made with OpenSSL, as a service-account JSON key file carries it: for
// the OAuth JWT flow and signed URLs against the fake Cloud Storage.
#ifndef HAYSTACK_TESTS_OUTPUT_SERVICE_ACCOUNT_KEY_H_
#define HAYSTACK_TESTS_OUTPUT_SERVICE_ACCOUNT_KEY_H_

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

#include "haystack/core/json.h"

namespace haystack::testing {

struct ServiceAccountKey {
  static constexpr char kEmail[] = "haystack@proj.iam.gserviceaccount.com";

  EVP_PKEY* key = EVP_RSA_gen(2048);
  std::string pem;
  ServiceAccountKey() {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<size_t>(n));
    BIO_free(bio);
  }
  ~ServiceAccountKey() { EVP_PKEY_free(key); }
  ServiceAccountKey(const ServiceAccountKey&) = delete;
  ServiceAccountKey& operator=(const ServiceAccountKey&) = delete;

  // The key file's JSON.
  std::string Json(const std::string& token_uri = "https://oauth2.googleapis.com/token") const {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    WriteMember(w, "type", std::string("service_account"));
    WriteMember(w, "client_email", std::string(kEmail));
    WriteMember(w, "private_key_id", std::string("kid-1"));
    WriteMember(w, "private_key", pem);
    WriteMember(w, "token_uri", token_uri);
    w.EndObject();
    return buffer.GetString();
  }
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_OUTPUT_SERVICE_ACCOUNT_KEY_H_
