// A Notifier that keeps what it was asked to send (or fails on demand).
#ifndef HAYSTACK_TESTS_JOB_RECORDING_NOTIFIER_H_
#define HAYSTACK_TESTS_JOB_RECORDING_NOTIFIER_H_

#include <mutex>
#include <vector>

#include "haystack/core/error.h"
#include "haystack/notify/notifier.h"

namespace haystack::testing {

class RecordingNotifier final : public Notifier {
 public:
  absl::StatusOr<DeliveryReceipt> Send(const RunNotification& notification) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_) {
      return MakeError(ErrorKind::kNotification, absl::StatusCode::kUnavailable, "smtp down");
    }
    sent_.push_back(notification);
    return DeliveryReceipt{"recording", "msg-" + std::to_string(sent_.size())};
  }
  std::string Name() const override { return "recording"; }

  void set_fail(bool fail) { fail_ = fail; }
  std::vector<RunNotification> sent() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

 private:
  mutable std::mutex mu_;
  bool fail_ = false;
  std::vector<RunNotification> sent_;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_JOB_RECORDING_NOTIFIER_H_
