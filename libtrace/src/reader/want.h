/*
 * Between the reader (reader.c) and the analysis loads: the values a load uses, so that the
 * decoder leaves out those it would drop (atr__decoder_set_want, format/decode.h).
 */
#ifndef ATR_READER_WANT_H
#define ATR_READER_WANT_H

#include "argtrace/atr_reader.h"
#include "format/decode.h"

/* Install before the first record: ATR_ESTATE when reading has begun. want and ud are
   borrowed and called on the thread that calls atr_reader_next(). */
int atr__reader_set_want(atr_reader *r, atr__want_fn want, void *ud);

#endif /* ATR_READER_WANT_H */
