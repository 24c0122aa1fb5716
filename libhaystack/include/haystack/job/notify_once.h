// Delivers a run's pending notification at most once, through the store's ledger: claimed
// (pending → sending) before the attempt, so that a retried job never sends it twice; a
// notification left in "sending" by a crash is not retried (its outcome is unknown).
#ifndef HAYSTACK_JOB_NOTIFY_ONCE_H_
#define HAYSTACK_JOB_NOTIFY_ONCE_H_

#include <string>

#include "absl/status/status.h"
#include "haystack/core/logging.h"
#include "haystack/core/run.h"
#include "haystack/notify/notifier.h"
#include "haystack/store/run_store.h"

namespace haystack {

// What the email of a finalized run says.
RunNotification BuildNotification(const Run& run, NotificationKind kind, std::string recipient,
                                  std::string_view app_url);

// Sends every pending notification of `run` (normally one). A delivery failure is recorded in
// the ledger and returned (kind kNotification); the run's outcome is not changed by it.
absl::Status DeliverPendingNotifications(const Run& run, RunStore& store, Notifier& notifier,
                                         std::string_view app_url, const Logger& logger);

}  // namespace haystack

#endif  // HAYSTACK_JOB_NOTIFY_ONCE_H_
