// Delivers a run's notifications through the store's ledger, at least once (docs/operations.md
// "Emails"): each is claimed (pending → sending, by this execution, until the claim expires)
// before the attempt, so that concurrent or repeated executions do not send it twice while the
// claimant lives; a claim left in `sending` by an execution that died or lost the database is
// taken over once it expires and the email is sent again — a rare duplicate, never a silent loss.
#ifndef HAYSTACK_JOB_NOTIFY_ONCE_H_
#define HAYSTACK_JOB_NOTIFY_ONCE_H_

#include <string>

#include "absl/status/status.h"
#include "haystack/core/clock.h"
#include "haystack/core/logging.h"
#include "haystack/core/run.h"
#include "haystack/core/stop_token.h"
#include "haystack/notify/notifier.h"
#include "haystack/store/run_store.h"

namespace haystack {

// What the email of a finalized run says.
RunNotification BuildNotification(const Run& run, NotificationKind kind, std::string recipient,
                                  std::string_view app_url);

struct DeliveryContext {
  std::string claimant;  // this execution's worker id
  absl::Duration claim = absl::Minutes(5);
  // How often a claim held by another execution is looked at again.
  absl::Duration poll = absl::Seconds(1);
  std::string app_url;  // for links in emails
  const Clock* clock = &SystemClock();
  StopToken stop;  // the job's shutdown
};

// Sends every notification `run` still owes (normally one): pending ones, and ones left in
// `sending` whose claim expired; waits for a live claim of another execution to be recorded or
// to expire. Returns OK when every one was sent. A provider's refusal is recorded in the ledger
// (`failed`, with its error) and returned as kind kNotification: the run's outcome is not
// changed by it. Any other error means an email may still be owed (EmailStillOwed): the ledger
// could not be read or written, or `stop` fired while another execution's claim was live; the
// job then exits 75 so that a re-execution delivers it.
absl::Status DeliverPendingNotifications(const Run& run, RunStore& store, Notifier& notifier,
                                         const DeliveryContext& context, const Logger& logger);

// True for a DeliverPendingNotifications error after which an email may still be owed.
bool EmailStillOwed(const absl::Status& delivered);

}  // namespace haystack

#endif  // HAYSTACK_JOB_NOTIFY_ONCE_H_
