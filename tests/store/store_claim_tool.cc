// A second process for the cross-process claim test: claims one run and reports the outcome.
//   store_claim_tool <database-url> <run-id> <owner>
// Exit 0: won the claim; 3: refused because another owner holds the lease; 1: any other error.
#include <iostream>

#include "haystack/store/open_run_store.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: store_claim_tool <database-url> <run-id> <owner>\n";
    return 2;
  }
  auto store = haystack::OpenRunStore(argv[1]);
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  auto lease = (*store)->ClaimRun(argv[2], argv[3], absl::Minutes(5));
  if (lease.ok()) {
    std::cout << "won attempt " << lease->attempt << "\n";
    return 0;
  }
  std::cout << "refused: " << lease.status() << "\n";
  return lease.status().code() == absl::StatusCode::kAborted ? 3 : 1;
}
