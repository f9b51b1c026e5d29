/* Internals of filters shared by filter_parse.c (parsing) and filter.c (matching). */
#ifndef ATR_ANALYSIS_FILTER_INT_H
#define ATR_ANALYSIS_FILTER_INT_H

#include "analysis/analysis.h"

/* What a condition looks at, and how it compares. */
enum { T_ARG, T_LEN, T_TYPE, T_DURATION, T_SELF, T_EXC, T_RESULT, T_UNFINISHED };
enum { OP_EQ, OP_NE, OP_GT, OP_LT, OP_GE, OP_LE, OP_TRUE, OP_FALSE };

typedef struct atr__cond {
    int target, op;
    char *name; /* argument name (T_ARG, T_LEN, T_TYPE) */
    size_t name_len;
    /* The literal: its text, and its number when it reads as one. */
    char *text;
    size_t text_len;
    int quoted, has_num, is_int, is_none, is_bool;
    double num;
    int64_t inum;
} atr__cond;

struct atr_filter {
    atr__cond *c;
    uint64_t n, cap;
};

#endif /* ATR_ANALYSIS_FILTER_INT_H */
