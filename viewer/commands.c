/*
 * The viewer's command table (uftrace cmds/ style): one entry per subcommand, each
 * implemented in cmd_<name>.c. Found through cmd.h (atr__cmd_find, atr__cmd_at) by the
 * dispatch (main.c) and the help texts (opts.c, load.c). Nothing else lives here.
 */
#include <string.h>

#include "cmd.h"

static const atr__cmd commands[] = {
    {"summary", atr__cmd_summary, "LOG... [--json] [--follow]",
     "Per function: calls, total, self time, p50/p95/p99/max, by total time."},
    {"slow", atr__cmd_slow, "LOG... FUNC [--by ARG] [--json]",
     "Which argument explains FUNC's duration: slowest values, histograms, slowest calls."},
    {"diff", atr__cmd_diff, "BASE NEW [FUNC] [FILTER...] | --base LOG... --new LOG... [FUNC]",
     "What got slower or faster between two runs, per function and argument value."},
    {"tree", atr__cmd_tree, "LOG... FUNC [FILTER...] [--rank N] [--json] | LOG... --id ID",
     "The call tree of FUNC's Nth slowest call among those matching the filters, or of the "
     "call with id ID (as calls prints it)."},
    {"why", atr__cmd_why, "LOG... FUNC [FILTER...] [--rank N] [--json] | LOG... --id ID",
     "Why FUNC's Nth slowest call was slow: children, self time, arguments vs typical calls."},
    {"calls", atr__cmd_calls,
     "LOG... [FUNC] [FILTER...] [--sort duration|start] [--limit N] [--json]",
     "FUNC's calls (or every call) with arguments, outcome, start and duration."},
    {"cat", atr__cmd_cat, "LOG [--json]", "Every record of a log as decoded (for debugging)."},
    {"export", atr__cmd_export,
     "LOG... --format chrome|eliot|jsonl|speedscope|folded|parquet|otlp [FUNC] [FILTER...] "
     "[--min-duration T] [--value self|count] [-o OUT]",
     "Write the calls for other tools: Chrome/Perfetto trace, Eliot JSON lines, JSON lines, "
     "speedscope profile, folded stacks (flamegraph.pl, inferno), Parquet, OpenTelemetry "
     "(OTLP/JSON; parquet and otlp by the Python argtrace command). With FUNC, filters or "
     "--min-duration: jsonl and parquet the matching calls, chrome and eliot the matching calls "
     "and the calls containing them, with their messages; speedscope, folded and otlp the "
     "matching calls with everything they called."},
    {"report", atr__cmd_report, "LOG... [--base LOG...] [-o OUT]",
     "A self-contained HTML report: summary, arguments, flame graphs, why, diff."},
    {"view", atr__cmd_view, "[--follow] LOG...",
     "Interactive terminal viewer (--follow: of a log being written)."},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const atr__cmd *atr__cmd_at(size_t i) { return i < N_COMMANDS ? &commands[i] : NULL; }

const atr__cmd *atr__cmd_find(const char *name) {
    for (size_t i = 0; name && i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}
