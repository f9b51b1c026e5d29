/*
 * The viewer's dispatch: the command list (usage), help, --version, and running the command
 * named by argv[1] (found in the table of commands.c through cmd.h). Nothing else lives here.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "argtrace/atr_analysis.h"
#include "argtrace/atr_common.h"
#include "cmd.h"
#include "render.h"

static void list_commands(FILE *f, const char *prog) {
    size_t width = atr__out_width(f);
    char line[512];
    snprintf(line, sizeof line, "usage: %s COMMAND [ARGS...]   (%s COMMAND --help for details)",
             prog, prog);
    atr__fput_hang(f, line, width, 4);
    fprintf(f, "\ncommands:\n");
    const atr__cmd *c;
    for (size_t i = 0; (c = atr__cmd_at(i)) != NULL; i++) {
        snprintf(line, sizeof line, "  %-8s %s", c->name, c->summary);
        atr__fput_hang(f, line, width, 11);
    }
    fputc('\n', f);
    atr__fput_hang(f,
                   "LOG is a log file, a rotated log's first name (app.atr: with app.atr.1, "
                   "...), a pattern ('app.atr*') or a directory; a process's files read as one.",
                   width, 0);
    atr__fput_hang(f, "FUNC is a module-qualified name or a unique suffix of one.", width, 0);
    atr__fput_hang(f,
                   "FILTERs: n=0, mode!=fast, len(rows)>1000, duration>10ms, flag=true, "
                   "exception=ValueError.",
                   width, 0);
    atr__fput_hang(
        f, "Text fits the terminal (--width N, $COLUMNS); long values are cut (--max-value N).",
        width, 0);
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int atr_viewer_run(int argc, char **argv, FILE *out, FILE *err) {
    atr__vctx ctx = {out,
                     err,
                     argc > 0 && argv[0] ? base_name(argv[0]) : "argtrace-view",
                     NULL,
                     atr__want_color(out),
                     isatty(fileno(err)),
                     ATR_INDEX_MAX_MEMORY_DEFAULT,
                     0,
                     atr__out_width(out),
                     0,
                     0};
    const char *name = argc > 1 ? argv[1] : NULL;
    if (!name) {
        list_commands(err, ctx.prog);
        return ATR_VIEWER_USAGE;
    }
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        const atr__cmd *c = argc > 2 ? atr__cmd_find(argv[2]) : NULL;
        if (c) {
            char *sub[] = {argv[2], "--help"};
            ctx.cmd = c->name;
            return c->run(&ctx, 2, sub);
        }
        list_commands(out, ctx.prog);
        return ATR_VIEWER_OK;
    }
    if (strcmp(name, "--version") == 0) {
        fprintf(out, "%s %s\n", ctx.prog, atr_version());
        return ATR_VIEWER_OK;
    }
    const atr__cmd *c = atr__cmd_find(name);
    if (!c) {
        fprintf(err, "%s: unknown command '", ctx.prog);
        atr__sbuf sb = ATR__SBUF_INIT;
        atr__esc_text(&sb, name, strlen(name), ATR__ESC_BARE);
        fprintf(err, "%s' (commands:", atr__sb_cstr(&sb));
        atr__sb_free(&sb);
        for (size_t i = 0; atr__cmd_at(i); i++)
            fprintf(err, " %s", atr__cmd_at(i)->name);
        fprintf(err, ")\n");
        return ATR_VIEWER_USAGE;
    }
    ctx.cmd = c->name;
    int status = c->run(&ctx, argc - 1, argv + 1);
    if ((fflush(out) != 0 || ferror(out)) && status == ATR_VIEWER_OK) {
        if (errno != EPIPE) /* a reader that stopped early (`| head`) is no error to report */
            fprintf(err, "%s %s: cannot write the output: %s\n", ctx.prog, ctx.cmd,
                    strerror(errno));
        status = ATR_VIEWER_FAIL;
    }
    return status;
}

int atr_viewer_main(int argc, char **argv) { return atr_viewer_run(argc, argv, stdout, stderr); }
