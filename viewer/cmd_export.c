#include "cmd.h"
int atr__cmd_export(atr__vctx *ctx, int argc, char **argv) { (void)argc; (void)argv; atr__errorf(ctx, "not yet"); return 1; }
