// Conversions between run-store rows and the core model.
#ifndef HAYSTACK_STORE_INTERNAL_RUN_CODEC_H_
#define HAYSTACK_STORE_INTERNAL_RUN_CODEC_H_

#include "haystack/core/run.h"
#include "haystack/store/run_store.h"
#include "internal/sql_connection.h"

namespace haystack::store_internal {

// Decodes row `row` of a "SELECT * FROM runs" result. Never fails on content: problems are
// listed in Run::invalid_fields.
Run DecodeRun(const SqlResult& result, size_t row);

NotificationRecord DecodeNotification(const SqlResult& result, size_t row);
RunEvent DecodeEvent(const SqlResult& result, size_t row);

}  // namespace haystack::store_internal

#endif  // HAYSTACK_STORE_INTERNAL_RUN_CODEC_H_
