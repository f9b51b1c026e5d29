/*
 * `report`: the self-contained HTML report. report_data.c gathers what the page shows into
 * one JSON object (the analysis API only); cmd_report.c writes the page: the template of
 * viewer/report/ (embedded at build time, report_assets.c) with that object inlined.
 */
#ifndef ATR_VIEWER_REPORT_H
#define ATR_VIEWER_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_analysis.h"
#include "json.h"

typedef struct atr__report_cfg {
    uint64_t top;       /* functions analysed (most total active time first) */
    uint64_t points;    /* durations drawn per argument group (sampled beyond) */
    uint64_t slowest;   /* slowest calls listed per function */
    uint64_t rows;      /* summary table rows */
    uint64_t max_nodes; /* nodes per flame graph */
    const char *const *logs, *const *base_logs;
    int n_logs, n_base_logs;
} atr__report_cfg;

/*
 * Write the report's data object for `ix` (the run shown) and, when dix is not NULL, the
 * diff of its two runs (dix: base logs first, n_base_files of them, then the logs of ix).
 * Returns 0 or ATR_ENOMEM.
 */
int atr__report_json(atr__json *j, const atr_index *ix, const atr_index *dix, uint32_t n_base_files,
                     const atr__report_cfg *cfg);

/*
 * "flame": {total, nodes: [[parent, fn, value, calls], ...]}: every call of the index merged
 * by its stack of functions (a root's value is its active time, a child's what it is charged).
 * *dropped of *stacks stacks were left out (narrower than total/max_nodes, or past max_nodes).
 * Returns 0 or ATR_ENOMEM (report_flame.c).
 */
int atr__report_flame(atr__json *j, const atr_index *ix, uint64_t max_nodes, uint64_t *dropped,
                      uint64_t *stacks);

/*
 * "nodes": [[parent, fn, value, id], ...], "dropped": N: the call tree of `call` (the root's
 * value its active time, a child's what it is charged). Returns 0, ATR_EINVAL, ATR_ENOMEM.
 */
int atr__report_call_tree(atr__json *j, const atr_index *ix, uint32_t call, uint64_t max_nodes);

/* The template's parts (report_assets.c, generated from viewer/report/ by CMake). */
extern const unsigned char atr__report_html[], atr__report_css[], atr__report_js[];
extern const size_t atr__report_html_len, atr__report_css_len, atr__report_js_len;

#endif /* ATR_VIEWER_REPORT_H */
