// The mstch templates of the run emails. Values arrive already escaped for their part (see
// email_templates.cc), so every insertion uses a triple mustache.
#ifndef HAYSTACK_NOTIFY_INTERNAL_TEMPLATES_H_
#define HAYSTACK_NOTIFY_INTERNAL_TEMPLATES_H_

#include <string_view>

namespace haystack::notify_internal {

inline constexpr std::string_view kTextTemplate = R"({{{product}}} - {{{headline}}}

Your query:
  {{{query}}}{{#query_truncated}} (shortened){{/query_truncated}}

{{#completed}}
{{#has_score}}Grounding score: {{{score}}}/10{{#has_threshold}} (threshold {{{threshold}}}){{/has_threshold}}
{{/has_score}}
Iterations: {{{iterations}}}
{{#has_termination}}Stopped because {{{termination}}}.
{{/has_termination}}
{{#has_task_type}}Task: {{{task_type}}}
{{/has_task_type}}
{{#has_control}}Control strategy: {{{control}}}{{#fell_back}} (fallback: no matched control cells were found){{/fell_back}}
{{/has_control}}
{{#has_up_genes}}
Top up-regulated genes:
{{#up_genes}}  - {{{item}}}
{{/up_genes}}
{{/has_up_genes}}
{{#has_down_genes}}
Top down-regulated genes:
{{#down_genes}}  - {{{item}}}
{{/down_genes}}
{{/has_down_genes}}
{{#has_pathways}}
Enriched pathways:
{{#pathways}}  - {{{item}}}
{{/pathways}}
{{/has_pathways}}
{{#has_unavailable}}
Scored without (evidence source unavailable):
{{#unavailable}}  - {{{item}}}
{{/unavailable}}
{{/has_unavailable}}

Files:
{{#has_report_url}}  Report: {{{report_url}}}
{{/has_report_url}}{{#has_report_url_text}}  Report: {{{report_url_text}}}
{{/has_report_url_text}}{{#has_anndata_url}}  Predictions (AnnData): {{{anndata_url}}}
{{/has_anndata_url}}{{#has_anndata_url_text}}  Predictions (AnnData): {{{anndata_url_text}}}
{{/has_anndata_url_text}}{{#has_log_url}}  Log: {{{log_url}}}
{{/has_log_url}}{{#has_log_url_text}}  Log: {{{log_url_text}}}
{{/has_log_url_text}}{{#has_links_expire}}The download links work until {{{links_expire}}}.
{{/has_links_expire}}
{{/completed}}
{{#failed}}
What went wrong: {{{error_type}}}
{{{error_message}}}
{{#has_error_phase}}Phase: {{{error_phase}}}
{{/has_error_phase}}
{{#has_error_iteration}}Iteration: {{{error_iteration}}}
{{/has_error_iteration}}
Iterations finished before the error: {{{iterations}}}
{{/failed}}
{{#cancelled}}
The run was cancelled as requested after {{{iterations}}} finished iterations. No results
were produced for it.
{{/cancelled}}
{{#has_results_url}}
See the run: {{{results_url}}}
{{/has_results_url}}

Run ID: {{{run_id}}}
--
{{{product}}} predicts single-cell perturbation responses and checks them against prior
biological knowledge. You receive this email because you started this run.
)";

inline constexpr std::string_view kHtmlTemplate = R"(<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{{product}}}: {{{headline}}}</title>
<style>
body { margin: 0; padding: 0; background: #f3f4f6; color: #111827;
  font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; line-height: 1.5; }
.preheader { display: none; max-height: 0; overflow: hidden; mso-hide: all; }
.card { background: #ffffff; border-radius: 8px; padding: 24px; }
.brand { color: #1e3a8a; font-weight: 700; font-size: 20px; letter-spacing: 0.05em; }
h1 { font-size: 24px; margin: 8px 0 16px; }
h2 { font-size: 18px; margin: 24px 0 8px; }
.query { background: #eef2ff; border-left: 4px solid #1e3a8a; padding: 12px; margin: 0;
  white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext; }
.score { font-size: 32px; font-weight: 700; color: #065f46; }
.error { background: #fef2f2; border-left: 4px solid #991b1b; padding: 12px;
  overflow-wrap: anywhere; unicode-bidi: plaintext; }
.button { display: inline-block; background: #1e3a8a; color: #ffffff; padding: 12px 20px;
  border-radius: 6px; text-decoration: none; font-weight: 600; }
.muted { color: #4b5563; font-size: 13px; }
code { overflow-wrap: anywhere; }
</style>
</head>
<body>
<div class="preheader">{{{preheader}}}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td align="center" style="padding: 24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width: 640px;">
<tr><td class="brand" style="padding: 0 0 12px;">{{{product}}}</td></tr>
<tr><td class="card">
<main>
<h1>{{{headline}}}</h1>
<h2>Your query</h2>
<p class="query" dir="auto">{{{query}}}{{#query_truncated}} <em>(shortened)</em>{{/query_truncated}}</p>
{{#completed}}
<h2>Result</h2>
{{#has_score}}<p><span class="score">{{{score}}}/10</span> grounding score{{#has_threshold}} (threshold {{{threshold}}}){{/has_threshold}}</p>{{/has_score}}
<ul>
<li>Iterations: {{{iterations}}}</li>
{{#has_termination}}<li>Stopped because {{{termination}}}.</li>{{/has_termination}}
{{#has_task_type}}<li>Task: {{{task_type}}}</li>{{/has_task_type}}
{{#has_control}}<li>Control strategy: {{{control}}}{{#fell_back}} (fallback: no matched control cells were found){{/fell_back}}</li>{{/has_control}}
</ul>
{{#has_up_genes}}<h2>Top up-regulated genes</h2>
<ul>{{#up_genes}}<li>{{{item}}}</li>{{/up_genes}}</ul>{{/has_up_genes}}
{{#has_down_genes}}<h2>Top down-regulated genes</h2>
<ul>{{#down_genes}}<li>{{{item}}}</li>{{/down_genes}}</ul>{{/has_down_genes}}
{{#has_pathways}}<h2>Enriched pathways</h2>
<ul>{{#pathways}}<li>{{{item}}}</li>{{/pathways}}</ul>{{/has_pathways}}
{{#has_unavailable}}<h2>Scored without</h2>
<p>These evidence sources were unavailable; the score was computed without them:</p>
<ul>{{#unavailable}}<li>{{{item}}}</li>{{/unavailable}}</ul>{{/has_unavailable}}
<h2>Files</h2>
<ul>
{{#has_report_url}}<li><a href="{{{report_url}}}">Interpretation report</a></li>{{/has_report_url}}
{{#has_report_url_text}}<li>Interpretation report: <code>{{{report_url_text}}}</code></li>{{/has_report_url_text}}
{{#has_anndata_url}}<li><a href="{{{anndata_url}}}">Predictions (AnnData .h5ad)</a></li>{{/has_anndata_url}}
{{#has_anndata_url_text}}<li>Predictions (AnnData .h5ad): <code>{{{anndata_url_text}}}</code></li>{{/has_anndata_url_text}}
{{#has_log_url}}<li><a href="{{{log_url}}}">Run log (JSON)</a></li>{{/has_log_url}}
{{#has_log_url_text}}<li>Run log (JSON): <code>{{{log_url_text}}}</code></li>{{/has_log_url_text}}
</ul>
{{#has_links_expire}}<p class="muted">The download links work until {{{links_expire}}}.</p>{{/has_links_expire}}
{{/completed}}
{{#failed}}
<h2>What went wrong</h2>
<div class="error" dir="auto"><strong>{{{error_type}}}</strong><br>{{{error_message}}}</div>
<ul>
{{#has_error_phase}}<li>Phase: {{{error_phase}}}</li>{{/has_error_phase}}
{{#has_error_iteration}}<li>Iteration: {{{error_iteration}}}</li>{{/has_error_iteration}}
<li>Iterations finished before the error: {{{iterations}}}</li>
</ul>
{{/failed}}
{{#cancelled}}
<p>The run was cancelled as requested after {{{iterations}}} finished iterations. No results were produced for it.</p>
{{/cancelled}}
{{#has_results_url}}<p><a class="button" href="{{{results_url}}}">View the run</a></p>{{/has_results_url}}
<p class="muted">Run ID: <code>{{{run_id}}}</code></p>
</main>
</td></tr>
<tr><td class="muted" style="padding: 12px 0;">{{{product}}} predicts single-cell perturbation responses and checks them against prior biological knowledge. You receive this email because you started this run.</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
)";

}  // namespace haystack::notify_internal

#endif  // HAYSTACK_NOTIFY_INTERNAL_TEMPLATES_H_
