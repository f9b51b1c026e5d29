/*
 * The analysis index's memory budget: tests/golden/hostile/call_bomb.atr (9 KiB declaring
 * 16.7 M calls, about 1.2 GB to analyse) stops with ATR_ETOOBIG and a one-line message
 * naming the limit, the index left as it was and the process never growing far past the
 * budget; a log that fits loads under the same budget; 0 lifts the limit.
 */
#include <sys/resource.h>

#include "argtrace/atr.h"
#include "atr_test.h"

#ifndef ATR_GOLDEN_DIR
#error "ATR_GOLDEN_DIR must name tests/golden"
#endif

#define BOMB ATR_GOLDEN_DIR "/hostile/call_bomb.atr"
#define SMALL ATR_GOLDEN_DIR "/v1/basic.atr"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
/* ASan keeps freed blocks mapped for a while (its quarantine, 256 MiB by default), so the
   RSS measured below would count every block the index's arrays grew out of (104 MiB where
   the index held 34): a quarantine of 16 MiB for this test keeps the RSS what the index
   holds, and still catches a use after free of the recent blocks. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=16"; }
#endif

static long max_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_bomb_stops_at_the_budget(void) {
    atr_index *ix = NULL;
    atr_index_info info;
    long before = max_rss_kib();
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    atr_index_set_max_memory(ix, 32u << 20);
    ATR_CHECK_ERR(atr_index_load(ix, BOMB), ATR_ETOOBIG);
    ATR_CHECK(strstr(atr_index_error(ix), "memory limit of 32.0 MiB") != NULL);
    ATR_CHECK(strstr(atr_index_error(ix), "call_bomb.atr") != NULL);
    ATR_CHECK(strchr(atr_index_error(ix), '\n') == NULL);
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_U64(info.n_calls, 0); /* rolled back */
    ATR_CHECK_EQ_INT((int)info.n_files, 0);
    /* never far past the budget (64 MiB of slack for the reader's frame and the heap) */
    ATR_CHECK(max_rss_kib() - before < (32 + 64) * 1024);
    /* the same index still loads a log that fits */
    ATR_CHECK_OK(atr_index_load(ix, SMALL));
    atr_index_get_info(ix, &info);
    ATR_CHECK(info.n_calls > 0);
    atr_index_free(ix);
}

static void test_default_budget_and_no_limit(void) {
    atr_index *ix = NULL;
    atr_index_info info;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load(ix, SMALL)); /* the default (4 GiB) */
    atr_index_set_max_memory(ix, 0);         /* no limit */
    atr_index_set_max_memory(NULL, 1);       /* accepted, nothing happens */
    atr_index_get_info(ix, &info);
    ATR_CHECK(info.n_calls > 0);
    atr_index_free(ix);
}

int main(void) {
    test_bomb_stops_at_the_budget();
    test_default_budget_and_no_limit();
    ATR_TEST_MAIN_END();
}
