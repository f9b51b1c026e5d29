/* JSON lines of calls (see export.h): the `calls --json` objects of the matches, one per
   line. */
#include "export.h"
#include "json_call.h"

int atr__export_jsonl(const atr_index *ix, const uint8_t *keep, FILE *out) {
    atr_query q;
    atr_query_init(&q);
    q.sort = ATR_SORT_START;
    atr_callset *cs = NULL;
    int rc = atr_query_run(ix, &q, &cs);
    if (rc < 0)
        return rc;
    atr__json j;
    atr__json_init(&j, out, 0);
    for (uint64_t i = 0; i < atr_callset_count(cs) && !ferror(out); i++) {
        uint32_t call = atr_callset_get(cs, i);
        if (keep && keep[call] != ATR__EXPORT_MATCH)
            continue;
        atr__json_call(&j, ix, call);
        atr__json_end_line(&j);
    }
    atr_callset_free(cs);
    return ferror(out) ? ATR_EIO : 0;
}
