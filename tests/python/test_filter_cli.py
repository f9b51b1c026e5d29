"""`argtrace run --trace/--exclude/--min-duration/--max-depth` (docs/FILTERS.md): a script
and a -m module traced with no code changes, run as subprocesses; invalid patterns are
refused with one line before the program starts."""

import textwrap

import argtrace
from atr_helpers import only, run_python

APP = {
    "shop/__init__.py": "",
    "shop/cart.py": """
        class Cart:
            def __init__(self, owner):
                self.owner = owner
                self.items = []

            def add(self, sku, qty=1):
                self.items.append((sku, qty))
                return len(self.items)

            def total(self, prices):
                return sum(prices[s] * q for s, q in self.items)
        """,
    "shop/pricing.py": """
        def prices(skus, discount=0.0):
            return {s: round(10.0 * (1 - discount), 2) for s in skus}
        """,
    "shop/__main__.py": """
        import sys
        from shop.main import main
        main(sys.argv[1:])
        """,
    "shop/main.py": """
        import json
        from shop.cart import Cart
        from shop.pricing import prices

        def main(args):
            c = Cart("ann")
            for sku in args or ["a", "b"]:
                c.add(sku, qty=2)
            total = c.total(prices(["a", "b", "c"], discount=0.5))
            print(json.dumps({"total": total}))
        """,
    "script.py": """
        import sys
        from shop.main import main

        def helper(x):
            return x * 3

        helper(4)
        main(sys.argv[1:])
        """,
}


def write_app(tmp_path):
    for name, text in APP.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def run(tmp_path, *args):
    return run_python(["-m", "argtrace", "run", "-o", str(tmp_path / "out.atr")] + list(args),
                      cwd=tmp_path)


def test_script_with_module_and_qualname_patterns(tmp_path):
    write_app(tmp_path)
    plain = run_python(["script.py", "a"], cwd=tmp_path)
    res = run(tmp_path, "--trace", "shop.cart:Cart.*", "--trace", "__main__:helper",
              "--exclude", "shop.cart:Cart.__init__", "script.py", "a")
    assert res.returncode == 0, res.stderr
    assert res.stdout == plain.stdout == '{"total": 10.0}\n'
    log = argtrace.load(tmp_path / "out.atr")
    assert [c.function for c in log.calls()] == [
        "__main__.helper", "shop.cart.Cart.add", "shop.cart.Cart.total"]
    helper = only(log.calls("__main__.helper"))
    assert helper.args == {"x": 4} and helper.result == 12
    add = only(log.calls("shop.cart.Cart.add"))
    assert add.args["sku"] == "a" and add.args["qty"] == 2 and add.result == 1


def test_dash_m_module_with_file_pattern_and_max_depth(tmp_path):
    write_app(tmp_path)
    res = run(tmp_path, "--trace", "file:shop/*.py", "--max-depth", "2", "-m", "shop", "a")
    assert res.returncode == 0, res.stderr
    assert res.stdout == '{"total": 10.0}\n'
    log = argtrace.load(tmp_path / "out.atr")
    main = only(log.calls("shop.main.main"))
    assert main.args == {"args": argtrace.Summary("list", 1, ("a",))}
    kids = [c.function for c in log.calls() if c.parent_id == main.id]
    assert kids == ["shop.cart.Cart.__init__", "shop.cart.Cart.add", "shop.pricing.prices",
                    "shop.cart.Cart.total"]
    assert all(c.parent_id in (None, main.id) for c in log.calls())  # depth 2: nothing deeper


def test_min_duration_drops_fast_calls(tmp_path):
    write_app(tmp_path)
    res = run(tmp_path, "--trace", "shop", "--min-duration", "10s", "script.py")
    assert res.returncode == 0, res.stderr
    assert res.stdout == '{"total": 20.0}\n'
    assert list(argtrace.load(tmp_path / "out.atr").calls()) == []


def test_invalid_pattern_is_one_line_before_the_program_runs(tmp_path):
    write_app(tmp_path)
    res = run(tmp_path, "--trace", "shop..cart", "script.py")
    assert res.returncode == 2
    assert res.stdout == ""  # the program never ran
    assert res.stderr.splitlines() == [
        "argtrace: invalid trace pattern 'shop..cart': a module glob holds names, dots, "
        "* ? [ ]"], res.stderr
    assert not (tmp_path / "out.atr").exists()  # refused before the session started


def test_invalid_exclude_or_duration_creates_no_log(tmp_path):
    write_app(tmp_path)
    for args, line in [
            (["--trace", "shop", "--exclude", "file:src/[ab.py"],
             "argtrace: invalid trace pattern 'file:src/[ab.py': unterminated '[' set"),
            (["--trace", "shop", "--min-duration", "soon"],
             "argtrace run: bad duration 'soon' (e.g. 500us, 5ms, 1s)")]:
        res = run(tmp_path, *args, "script.py")
        assert (res.returncode, res.stdout, res.stderr.splitlines()) == (2, "", [line])
        assert not (tmp_path / "out.atr").exists()
