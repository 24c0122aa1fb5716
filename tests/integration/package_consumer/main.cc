#include <iostream>
// A project outside this tree that uses the installed package: find_package(haystack).
#include "haystack/store/open_run_store.h"
int main() {
  auto store = haystack::OpenRunStore("sqlite::memory:");
  std::cout << (store.ok() ? "ok" : std::string(store.status().message())) << "\n";
  return store.ok() ? 0 : 1;
}
