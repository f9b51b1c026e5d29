"""Transparency on real code: trace the standard library's difflib, json and email (named
explicitly, as library code must be) on real inputs. The traced run returns exactly what an
untraced run returns, and the log holds the expected calls with their arguments."""

import difflib
import email
import email.policy
import json

import argtrace
from argtrace import Summary, _core

OLD = ["import os\n", "def f(x):\n", "    return x + 1\n", "print(f(2))\n"] * 5
NEW = ["import os\n", "import sys\n", "def f(x, y=0):\n", "    return x + y + 1\n",
       "print(f(2))\n"] * 5

DOC = {"name": "argtrace", "tags": ["trace", "args"], "nested": {"a": [1, 2.5, None, True]},
       "text": "caf\u00e9 \u2603", "n": 12345678901234}

MAIL = (
    "From: Alice <alice@example.com>\n"
    "To: Bob <bob@example.com>\n"
    "Subject: Quarterly numbers\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"XYZ\"\n"
    "\n"
    "--XYZ\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "Numbers attached.\n"
    "--XYZ\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>Numbers attached.</p>\n"
    "--XYZ--\n"
)


def workload():
    sm = difflib.SequenceMatcher(None, "private Thread currentThread;",
                                 "private volatile Thread currentThread;")
    ratio = sm.ratio()
    diff = "".join(difflib.unified_diff(OLD, NEW, "a.py", "b.py"))
    close = difflib.get_close_matches("appel", ["ape", "apple", "peach", "puppy"])
    text = json.dumps(DOC, sort_keys=True, indent=2)
    back = json.loads(text)
    msg = email.message_from_string(MAIL, policy=email.policy.default)
    parts = [(p.get_content_type(), p.get_content().strip()) for p in msg.iter_parts()]
    return (ratio, diff, close, text, back, msg["Subject"], str(msg["From"]), parts)


def test_outputs_identical_and_calls_recorded(tmp_path):
    expected = workload()
    path = tmp_path / "stdlib.atr"
    argtrace.start(path)
    try:
        _core.filter_start(["difflib", "json", "email"], [])
        got = workload()
    finally:
        _core.filter_stop()
        argtrace.stop()
    assert got == expected
    log = argtrace.load(path)
    names = {c.function for c in log.calls()}

    ratio = [c for c in log.calls("difflib.SequenceMatcher.ratio") if c.parent_id is None]
    assert len(ratio) == 1
    assert ratio[0].args["self"] == Summary("SequenceMatcher", None)
    assert ratio[0].result == expected[0]
    blocks = [c for c in log.calls("difflib.SequenceMatcher.get_matching_blocks")
              if c.parent_id == ratio[0].id]
    assert len(blocks) == 1

    init = list(log.calls("difflib.SequenceMatcher.__init__"))
    first = init[0]
    assert first.args["a"] == "private Thread currentThread;"
    assert first.args["b"] == "private volatile Thread currentThread;"
    assert first.args["isjunk"] is None

    close = list(log.calls("difflib.get_close_matches"))
    assert len(close) == 1 and close[0].args["word"] == "appel" and close[0].args["n"] == 3
    assert close[0].result == Summary("list", 2, ("apple", "ape")) == Summary("list", 2, expected[2])

    udiff = list(log.calls("difflib.unified_diff"))
    assert len(udiff) == 1  # a generator: one span for the whole iteration
    assert udiff[0].args["fromfile"] == "a.py" and udiff[0].status == "return"

    dumps = list(log.calls("json.dumps"))
    assert len(dumps) == 1
    assert dumps[0].args["obj"].type_name == "dict" and dumps[0].args["obj"].length == 5
    assert dumps[0].args["sort_keys"] is True and dumps[0].args["indent"] == 2
    assert dumps[0].result == expected[3] or dumps[0].result.length == len(expected[3])
    loads = list(log.calls("json.loads"))
    assert len(loads) == 1
    assert "json.decoder.JSONDecoder.decode" in names
    decode = [c for c in log.calls("json.decoder.JSONDecoder.decode")
              if c.parent_id == loads[0].id]
    assert len(decode) == 1

    parse = list(log.calls("email.message_from_string"))
    assert len(parse) == 1 and parse[0].args["s"] == MAIL
    assert any(n.startswith("email.feedparser.") for n in names)
    assert any(n.startswith("email.message.") for n in names)
    # nothing outside the three packages
    assert all(n.split(".")[0] in ("difflib", "json", "email") for n in names), names
    assert all(c.finished for c in log.calls())
