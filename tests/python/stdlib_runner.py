"""Runner of test_differential_stdlib.py: the standard library's pure-Python modules on real
inputs, run in a fresh process either under a reference tracer (sys.setprofile: every call
of a function of those modules, with the nearest such function on the real frame stack as
its parent) or traced by argtrace's filter tracing; writes the calls per function and per
(parent, function) edge as JSON.

    python stdlib_runner.py ref|argtrace OUT.json [LOG]
"""
import ast
import collections
import configparser
import difflib
import email
import email.policy
import gc
import json
import os
import pprint
import shlex
import sys
import textwrap
import types

MODULES = ["difflib", "json", "email", "textwrap", "ast", "shlex", "configparser", "pprint"]
if sys.version_info >= (3, 11):
    import tomllib
    MODULES.append("tomllib")
GENLIKE = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable coroutine, async gen

MAIL = ("From: Alice <alice@example.com>\nTo: Bob <bob@example.com>, Carol <c@example.org>\n"
        "Subject: =?utf-8?q?caf=C3=A9?= numbers\nMIME-Version: 1.0\n"
        "Content-Type: multipart/alternative; boundary=\"XYZ\"\n\n"
        "--XYZ\nContent-Type: text/plain; charset=utf-8\n\nNumbers attached.\n"
        "--XYZ\nContent-Type: text/html; charset=utf-8\n\n<p>Numbers</p>\n--XYZ--\n")
SRC = '''
import os
class A(Base, metaclass=M):
    """doc"""
    x: int = 3
    def f(self, a, *args, b=2, **kw):
        with open(a) as fh, ctx() as (p, q):
            for i in range(10):
                if i % 2 and not a or b:
                    yield from g(i ** 2, *args, **kw)
        return [x async for x in y if x] if a else {k: v for k, v in kw.items()}
async def h():
    try:
        await z
    except (ValueError, TypeError) as e:
        raise RuntimeError(f"{e!r:>10}") from e
    finally:
        del q[1:2, ...]
'''
TOML = 'title = "t"\n[owner]\nname = "x"\ndob = 1979-05-27T07:32:00-08:00\n[[items]]\nid = 1\n' \
       'tags = ["a", "b"]\n[[items]]\nid = 2\nnested = { k = 1.5, flags = [true, false] }\n'
INI = "[DEFAULT]\nbase = /srv\n[app]\npath = %(base)s/app\nworkers = 4\ndebug = yes\n"


def workload():
    old = ["import os\n", "def f(x):\n", "    return x + 1\n", "print(f(2))\n"] * 8
    new = ["import os\n", "import sys\n", "def f(x, y=0):\n", "    return x + y + 1\n"] * 8
    out = ["".join(difflib.unified_diff(old, new, "a", "b")),
           "".join(difflib.ndiff(old[:6], new[:6])),
           str(difflib.get_close_matches("appel", ["ape", "apple", "peach", "puppy"])),
           difflib.HtmlDiff().make_table(old[:5], new[:5])]
    doc = {"name": "argtrace", "tags": ["a", "b"], "nested": {"a": [1, 2.5, None, True]},
           "rows": [{"i": i, "s": "x" * i} for i in range(20)]}
    text = json.dumps(doc, indent=2, sort_keys=True)  # the pure-Python encoder (indent)
    out += [text, str(json.loads(text)), json.dumps(doc, separators=(",", ":"))]
    msg = email.message_from_string(MAIL, policy=email.policy.default)
    out += [str(msg["subject"]), str(msg["to"].addresses),
            [p.get_content() for p in msg.iter_parts()], msg.as_string()]
    out.append(textwrap.fill("word " * 200, width=37, initial_indent="> "))
    out.append(textwrap.dedent("    a\n      b\n    c\n"))
    tree = ast.parse(SRC)
    out += [ast.unparse(tree), ast.dump(tree)[:200], [n.__class__.__name__ for n in ast.walk(tree)]]
    out.append(shlex.split("ls -l 'a b' \"c d\" e\\ f # comment", comments=True))
    out.append(shlex.join(["a b", "c'd", "e"]))
    cp = configparser.ConfigParser()
    cp.read_string(INI)
    out.append({s: dict(cp[s]) for s in cp.sections()})
    out.append(pprint.pformat({"k%d" % i: list(range(i)) for i in range(12)}, width=40))
    if "tomllib" in MODULES:
        out.append(tomllib.loads(TOML))
    return out


def ours(frame):
    mod = frame.f_globals.get("__name__", "")
    code = frame.f_code
    return (any(mod == m or mod.startswith(m + ".") for m in MODULES) and code.co_flags & 1 and
            (not code.co_name.startswith("<") or code.co_name == "<lambda>"))


QUALNAMES = {}


def qualname(code):
    """The code's qualified name (3.11+: co_qualname; before, its function's)."""
    q = getattr(code, "co_qualname", None) or QUALNAMES.get(code)
    if q is None:
        q = code.co_name
        for r in gc.get_referrers(code):
            if isinstance(r, types.FunctionType) and r.__code__ is code:
                q = r.__qualname__
                break
        QUALNAMES[code] = q
    return q


def name_of(frame):
    return frame.f_globals.get("__name__", "") + "." + qualname(frame.f_code)


def reference():
    calls, edges, live = collections.Counter(), collections.Counter(), {}

    def prof(frame, event, arg):
        if event != "call" or not ours(frame):
            return
        if frame.f_code.co_flags & GENLIKE:
            if live.get(id(frame)) is frame:
                return  # a resumption, not a call
            if frame.f_lasti == 0 and sys.version_info[:2] == (3, 11):
                return  # 3.11 closing a generator that never started: no code of it runs
            live[id(frame)] = frame  # (kept alive: its id is not reused)
        p = frame.f_back
        while p is not None and not ours(p):
            p = p.f_back
        calls[name_of(frame)] += 1
        edges[json.dumps([name_of(p) if p is not None else None, name_of(frame)])] += 1

    sys.setprofile(prof)
    try:
        result = workload()
    finally:
        sys.setprofile(None)
    return result, calls, edges


def traced(log):
    import argtrace
    argtrace.start(log, trace=[m + ".*" for m in MODULES] + MODULES)
    try:
        result = workload()
    finally:
        argtrace.stop()
    calls, edges = collections.Counter(), collections.Counter()
    for c in argtrace.load(log).calls():
        p = c.parent()
        calls[c.function] += 1
        edges[json.dumps([p.function if p is not None else None, c.function])] += 1
    return result, calls, edges


if __name__ == "__main__":
    result, calls, edges = reference() if sys.argv[1] == "ref" else traced(sys.argv[3])
    with open(sys.argv[2], "w") as f:
        json.dump({"result": repr(result), "calls": calls, "edges": edges}, f)
    os._exit(0)
