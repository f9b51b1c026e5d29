/* Error codes and version: the strings behind ATR_ERRNO_MAP. */
#include "argtrace/atr_common.h"

const char *atr_strerror(int err) {
    switch (err) {
    case 0:
        return "success";
#define ATR__ERR_MSG(name, value, msg) \
    case ATR_##name:                   \
        return msg;
        ATR_ERRNO_MAP(ATR__ERR_MSG)
#undef ATR__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *atr_errname(int err) {
    switch (err) {
    case 0:
        return "0";
#define ATR__ERR_NAME(name, value, msg) \
    case ATR_##name:                    \
        return "ATR_" #name;
        ATR_ERRNO_MAP(ATR__ERR_NAME)
#undef ATR__ERR_NAME
    default:
        return "ATR_E?";
    }
}

const char *atr_version(void) { return ATR_VERSION_STRING; }
