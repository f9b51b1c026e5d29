"""The command line of the exports written in Python (`argtrace export --format parquet|otlp`,
argtrace/_export_args.py): one parser, the viewer's option names (FUNC, --min-duration,
--max-memory, -o), and the same one-line mistakes with exit status 2 for both formats."""

import json

import pytest

import argtrace
from argtrace import _export_args, cli


@argtrace.trace
def quick(x):
    return x + 1


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    path = tmp_path_factory.mktemp("export_args") / "a.atr"
    with argtrace.session(path):
        quick(1)
        quick(2)
    return path


def run(capfd, *args):
    """(status, stdout, stderr) of `argtrace export ARGS`."""
    capfd.readouterr()
    status = cli.main(["export"] + [str(a) for a in args])
    out, err = capfd.readouterr()
    return status, out, err


FORMATS = ("parquet", "otlp")

# (arguments after the log, the error after "argtrace export: ") — the same for both formats
MISTAKES = [
    (["--bogus"], "unknown option '--bogus' for --format {f} (see: argtrace export --format "
                  "{f} --help)"),
    (["-o"], "option '-o' needs a value"),
    (["--min-duration"], "option '--min-duration' needs a value"),
    (["--min-duration", "5 ms"], "--min-duration takes a time such as 5ms, not '5 ms'"),
    (["--min-duration", "5ms,n>1"], "--min-duration takes a time such as 5ms, not '5ms,n>1'"),
    (["--max-memory", "lots"], "option '--max-memory' needs a size such as 512M or 4G, "
                               "not 'lots'"),
    (["--format", "jsonl"], "--format {f} and --format jsonl: give one format"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("extra,message", MISTAKES)
def test_mistakes_are_one_line_and_status_2(traced, capfd, fmt, extra, message):
    status, out, err = run(capfd, traced, "--format", fmt, *extra)
    assert status == 2 and out == ""
    assert err == "argtrace export: " + message.format(f=fmt) + "\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_log_is_one_line_and_status_2(capfd, fmt):
    status, out, err = run(capfd, "--format", fmt, "-o", "x.out")
    assert (status, out) == (2, "")
    assert err == ("argtrace export: no log given (see: argtrace export --format %s --help)\n"
                   % fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_function_and_log_say_the_same(traced, tmp_path, capfd, fmt):
    optional_arrow(fmt)
    out = tmp_path / "x.out"
    status, _, err = run(capfd, traced, "nosuch", "-f", fmt, "-o", out)
    assert status == 1
    assert err == ("argtrace export: function 'nosuch' not found in the log (see: argtrace "
                   "summary LOG)\n")
    missing = tmp_path / "missing.atr"
    status, _, err = run(capfd, missing, "-f", fmt, "-o", out)
    assert status == 1 and err == "argtrace export: %s: No such file or directory\n" % missing


def optional_arrow(fmt):
    if fmt == "parquet":
        from conftest import optional_module
        optional_module("pyarrow.parquet")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("extra,message", [
    (["--min-duration", "1h"], "--min-duration 1h: unknown time unit 'h' (use ns, us, ms or s)"),
    (["--min-duration", "10"], "--min-duration 10: a duration needs a unit (ns, us, ms, s): "
                               "10ms or 10us, not 10"),
    (["quick", "x>"], "bad filter 'x>': column 3: expected a value after '>'"),
])
def test_bad_filters_say_what_the_viewer_says(traced, tmp_path, capfd, fmt, extra, message):
    optional_arrow(fmt)
    status, _, err = run(capfd, traced, "-f", fmt, "-o", tmp_path / "x.out", *extra)
    assert (status, err) == (2, "argtrace export: %s\n" % message)
    # the viewer's formats (jsonl here) say the same
    status, _, err = run(capfd, traced, "-f", "jsonl", "-o", tmp_path / "v", *extra)
    assert (status, err) == (2, "argtrace export: %s\n" % message)


def test_otlp_own_options_are_checked(traced, tmp_path, capfd):
    status, _, err = run(capfd, traced, "-f", "otlp", "--header", "novalue")
    assert (status, err) == (2, "argtrace export: --header wants NAME=VALUE, not 'novalue'\n")
    status, _, err = run(capfd, traced, "-f", "otlp", "-o", tmp_path / "x", "--endpoint", "h")
    assert (status, err) == (2, "argtrace export: give -o or --endpoint, not both\n")
    # Parquet has no --endpoint, OTLP no --compensate: each says so as for any unknown option
    status, _, err = run(capfd, traced, "-f", "parquet", "--endpoint", "http://h")
    assert status == 2 and "unknown option '--endpoint' for --format parquet" in err
    status, _, err = run(capfd, traced, "-f", "otlp", "--compensate")
    assert status == 2 and "unknown option '--compensate' for --format otlp" in err


def spans(path):
    doc = json.loads(path.read_text())
    return [s["name"] for rs in doc["resourceSpans"] for ss in rs["scopeSpans"]
            for s in ss["spans"]]


def test_otlp_takes_the_viewers_options(traced, tmp_path, capfd):
    out = tmp_path / "o.json"
    # -oOUT, --output=OUT, -fFORMAT, FUNC, --min-duration and --max-memory as the viewer has them
    status, _, err = run(capfd, traced, "-fotlp", "-o%s" % out, "quick", "--max-memory", "64M")
    assert status == 0, err
    assert spans(out) == ["%s.quick" % __name__] * 2
    status, _, err = run(capfd, traced, "--format=otlp", "--output=%s" % out,
                         "--min-duration", "3600s")
    assert status == 0, err
    assert spans(out) == []
    status, _, err = run(capfd, traced, "--format", "otlp", "-o", out, "--min-duration", "0ns")
    assert status == 0, err
    assert len(spans(out)) == 2


def test_the_format_is_found_as_the_viewer_finds_it():
    assert _export_args.python_format(["a.atr", "-f", "otlp"]) == "otlp"
    assert _export_args.python_format(["a.atr", "-fparquet"]) == "parquet"
    assert _export_args.python_format(["a.atr", "--format=otlp", "-f", "parquet"]) == "otlp"
    assert _export_args.python_format(["a.atr", "-f", "chrome"]) is None
    assert _export_args.python_format(["a.atr", "--", "-f", "otlp"]) is None
    assert _export_args.python_format(["a.atr", "-f"]) is None
