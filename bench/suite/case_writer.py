"""The C writer on its own (W's bench/bench_writer.c, run as is; its table is kept verbatim)."""

import common

TITLE = "C writer alone (bench/bench_writer)"


def run(cfg, ctx):
    exe = ctx.get("bench_writer")
    if not exe:
        return common.skipped("writer", TITLE, "bench_writer was not built")
    spans = cfg.get("writer_spans", 10_000_000)
    rc, out, err, wall, cpu, rss = common.run_child([exe, "-n", str(spans), "-o", ctx["out"]],
                                                    timeout=900)
    if rc != 0:
        return common.result("writer", TITLE, status="failed",
                             why="exit %d: %s" % (rc, common.one_line(err or out)))
    table = [ln for ln in out.splitlines() if ln.startswith("|")]
    print("\n".join("  " + ln for ln in table), flush=True)
    return common.result("writer", TITLE, [], table=table, spans=spans,
                         command="bench/out/build/bench/bench_writer -n %d -o bench/out" % spans)
