// Encodings for text that goes onto the web: URLs and HTML.
#ifndef HAYSTACK_HTTP_ENCODING_H_
#define HAYSTACK_HTTP_ENCODING_H_

#include <string>
#include <string_view>

namespace haystack {

// Percent-encodes everything but RFC 3986 unreserved characters (for path segments and
// query values). "runs/a b" → "runs%2Fa%20b".
std::string UrlEncode(std::string_view text);

// UrlEncode for each '/'-separated segment of a path, the slashes kept:
// "runs/a b/report.html" → "runs/a%20b/report.html".
std::string UrlEncodePath(std::string_view path);

// OWASP HTML entity encoding for element content and quoted attribute values:
// & < > " ' become &amp; &lt; &gt; &quot; &#x27;. Other bytes (UTF-8, RTL marks, emoji) pass
// through unchanged, so the text stays intact.
std::string HtmlEscape(std::string_view text);

// True for absolute http:// or https:// URLs without whitespace or control characters: the
// only URLs rendered as links (no javascript:, data:, or relative links from user data).
bool IsSafeHttpUrl(std::string_view url);

// True for file:/// URLs made only of URL characters (FileUrl's output): the outbox's links to
// local files, which only a reader on the same machine can open.
bool IsSafeFileUrl(std::string_view url);

// "file:///abs/a%20b.h5ad" for "/abs/a b.h5ad" (UrlEncodePath). `absolute_path` must start
// with '/'.
std::string FileUrl(std::string_view absolute_path);

}  // namespace haystack

#endif  // HAYSTACK_HTTP_ENCODING_H_
