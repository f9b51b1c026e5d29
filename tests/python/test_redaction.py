"""Redaction keeps its promise: a value once redacted in the session is redacted wherever it
is captured later (results, other arguments under another name, container items, exception
messages, repr text, log fields), argv options named by a pattern are redacted, and a
decorator's patterns apply to argtrace.log() fields inside its call."""

import pytest

import argtrace
from argtrace import REDACTED
from atr_helpers import decompressed, only, record, run_python

SECRET = "hunter2-sekrit-value"


@argtrace.trace
def use(token_copy):
    return token_copy


@argtrace.trace
def fail(text):
    raise ValueError("bad credential " + text)


class Shown:
    def __init__(self, v):
        self.v = v

    def __repr__(self):
        return "Shown(%s)" % self.v


@argtrace.trace(repr=True)
def show(obj):
    return len(obj.v)


@argtrace.trace
def login(user, password):
    use(password)  # the same value under another name
    use([user, password])  # inside a container
    use(password.encode())  # as bytes
    with pytest.raises(ValueError):
        fail(password)  # in an exception message
    show(Shown(password))  # in repr text
    argtrace.log("using " + password, copy=password)
    return password  # as the result


def assert_not_in_file(path, *secrets):
    data = decompressed(path)
    raw = open(path, "rb").read()
    assert b"alice" in data  # the check below looks at the right bytes
    for s in secrets:
        assert s.encode() not in data and s.encode() not in raw


def test_a_redacted_value_is_redacted_wherever_it_is_captured_later(log_path):
    log, _ = record(log_path, login, "alice", SECRET, redact=["pass*"])
    call = only(log.calls("login"))
    assert call.args == {"user": "alice", "password": REDACTED}
    assert call.result == REDACTED
    uses = list(log.calls("use"))
    assert [u.args["token_copy"] for u in uses][0] == REDACTED
    assert uses[0].result == REDACTED
    items = uses[1].args["token_copy"]
    assert items == argtrace.Summary("list", 2, ["alice", REDACTED])
    assert uses[2].args["token_copy"] == REDACTED
    err = only(log.calls("fail")).exception
    assert err == ("ValueError", REDACTED)
    assert only(log.calls("show")).args["obj"] == REDACTED
    msg = only(log.messages())
    assert msg.text == "<redacted>" and msg.fields == {"copy": REDACTED}
    assert_not_in_file(log_path, SECRET)


def test_short_values_and_other_sessions_are_not_affected(tmp_path):
    log, _ = record(tmp_path / "a.atr", login, "alice", "abc", redact=["pass*"])
    assert [u.args["token_copy"] for u in log.calls("use")][0] == "abc"  # < 4 bytes
    record(tmp_path / "b.atr", login, "alice", SECRET, redact=["pass*"])
    log, _ = record(tmp_path / "c.atr", use, SECRET)  # a new session remembers nothing
    assert only(log.calls("use")).result == SECRET


@argtrace.trace(redact=["api_*"])
def client(api_key):
    argtrace.log("calling", api_secret="xyz-in-field", other="alice")
    return 1


def test_decorator_patterns_apply_to_log_fields_in_its_call(log_path):
    def run():
        client("key-0123456789")
        argtrace.log("outside", api_secret="xyz-outside")  # not in the call: not redacted

    log, _ = record(log_path, run)
    inside, outside = log.messages()
    assert inside.fields == {"api_secret": REDACTED, "other": "alice"}
    assert outside.fields == {"api_secret": "xyz-outside"}


def test_argv_options_named_by_a_pattern_are_redacted(log_path):
    argv = ["app.py", "--password=pw-one-secret", "--token", "tok-two-secret", "--api_token",
            "tok-three-secret", "-v", "alice"]
    log, _ = record(log_path, lambda: use("tok-two-secret"), argv=argv,
                    redact=["pass*", "token", "*-token"])
    assert log.process.argv == ["app.py", "--password=<redacted>", "--token", "<redacted>",
                                "--api_token", "<redacted>", "-v", "alice"]
    assert only(log.calls("use")).args == {"token_copy": REDACTED}
    assert_not_in_file(log_path, "pw-one-secret", "tok-two-secret", "tok-three-secret")


def test_run_redacts_program_argv(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("import argtrace, sys\n"
                      "@argtrace.trace\n"
                      "def f(x):\n    return x\n"
                      "f(sys.argv[2])\nf('alice')\n")
    out = tmp_path / "prog.atr"
    res = run_python(["-m", "argtrace", "run", "-q", "-o", str(out), "--redact", "pass*",
                      str(script), "--password", "pw-from-cli"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    log = argtrace.load(out)
    assert log.process.argv[-2:] == ["--password", "<redacted>"]
    assert [c.args["x"] for c in log.calls()] == [REDACTED, "alice"]
    assert_not_in_file(out, "pw-from-cli")


def echo(x):
    return x


def filtered_login(password):
    return echo(password)


def test_filter_tracing_redacts_remembered_values(log_path):
    mod = __name__
    argtrace.start(log_path, redact=["pass*"], trace=[mod + ":echo", mod + ":filtered_login"])
    try:
        filtered_login(SECRET)
        echo("alice")
        for _ in range(3):  # echo is on the hot path by now: containers captured inline
            echo(("alice", SECRET))
            echo({SECRET: 1})
    finally:
        argtrace.stop()
    log = argtrace.load(log_path)
    assert only(log.calls(mod + ".filtered_login")).args == {"password": REDACTED}
    calls = list(log.calls(mod + ".echo"))
    pair = argtrace.Summary("tuple", 2, ["alice", REDACTED])
    keys = argtrace.Summary("dict", 1, [REDACTED])
    assert [(c.args["x"], c.result) for c in calls] == [
        (REDACTED, REDACTED), ("alice", "alice")] + [(pair, pair), (keys, keys)] * 3
    assert_not_in_file(log_path, SECRET)


@argtrace.trace
def one_secret(password):
    return 7


@argtrace.trace
def two_args(user, password):
    return None


def test_a_session_redacts_what_the_previous_one_did_not(tmp_path):
    # The decorator's per-session plan (which slots are redacted) is made again for each
    # session, also on its fast path for one or two plainly captured arguments.
    def run():
        one_secret(12345)
        two_args("alice", 3.5)

    for i, redact in enumerate([(), ["pass*"], ()]):
        log, _ = record(tmp_path / ("%d.atr" % i), run, redact=redact)
        hidden = REDACTED if redact else None
        assert only(log.calls("one_secret")).args == {"password": hidden or 12345}
        assert only(log.calls("one_secret")).result == 7
        assert only(log.calls("two_args")).args == {"user": "alice",
                                                    "password": hidden or 3.5}


def test_an_empty_redact_pattern_is_refused_not_a_silent_no_op(tmp_path):
    # `--redact "$PATTERN"` with the variable unset: nothing would be redacted
    with pytest.raises(ValueError, match="empty redact pattern matches no name"):
        argtrace.start(tmp_path / "e.atr", redact=["token", ""])
    assert not argtrace.active() and not (tmp_path / "e.atr").exists()
    with pytest.raises(ValueError, match="empty redact pattern"):
        argtrace.trace(redact=[""])(lambda token: token)
    (tmp_path / "p.py").write_text("print('ran')\n")
    res = run_python(["-m", "argtrace", "run", "--redact", "", "p.py"], cwd=tmp_path)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert res.stderr.startswith("argtrace run: an empty redact pattern matches no name")
    assert res.stdout == ""
    assert not list(tmp_path.glob("*.atr"))


CREDENTIAL_TEXTS = [  # each holds a credential: a URL's password or a value named inside
    "https://bob:url-pw-0001@example.com/x?q=1",
    "postgresql://scott:tiger-db-pw@localhost/test",
    "redis://:only-a-password@localhost:6379/0",
    "host=db user=app password=libpq-pw-0002 dbname=x",
    "https://example.com/v1?page=2&api_key=qk&x=1",  # short: redacted, not remembered
    '{"user": "alice", "api_key": "json-key-0003"}',
    "{'password': 'repr-pw-0004'}",
    "GET / HTTP/1.1\r\nAuthorization: Bearer hdr.tok.0005\r\nHost: x",
    b"grant_type=password&password=form-pw-0006&username=u",
]
SECRETS_INSIDE = ["url-pw-0001", "tiger-db-pw", "only-a-password", "libpq-pw-0002",
                  "json-key-0003", "repr-pw-0004", "hdr.tok.0005", "form-pw-0006"]
PLAIN_TEXTS = [  # no credential: written as they are
    "https://example.com/path?q=1&page=2", "ssh://git@github.com/x.git",
    "time 12:30 ratio=3", "the password: is not a header here", "alice",
]


def test_credentials_inside_text_are_redacted(log_path):
    # A value named by a pattern inside a string (a query string, a connection string, JSON,
    # a header) or a URL's password leaked with `redact=` set: only names of parameters
    # were matched. Now such text is written redacted and the credential remembered.
    def run():
        for text in CREDENTIAL_TEXTS + PLAIN_TEXTS:
            use(text)
        use(["alice", "mysql://root:in-a-list-0007@db/x"])  # an item of a container
        use("tiger-db-pw")  # remembered from the URL above: redacted alone too
        use("hdr.tok.0005")  # a header's token without its "Bearer "
        with pytest.raises(ValueError):
            fail("connecting to postgresql://u:in-exc-0008@h/db")  # exception message

    log, _ = record(log_path, run, redact=["password", "api_key", "authorization"])
    got = [c.args["token_copy"] for c in log.calls("use")]
    n = len(CREDENTIAL_TEXTS)
    assert got[:n] == [REDACTED] * n
    assert got[n:n + len(PLAIN_TEXTS)] == PLAIN_TEXTS
    assert got[-3:] == [argtrace.Summary("list", 2, ["alice", REDACTED]), REDACTED, REDACTED]
    assert only(log.calls("fail")).exception == ("ValueError", REDACTED)
    assert_not_in_file(log_path, *SECRETS_INSIDE, "in-a-list-0007", "in-exc-0008")


def test_credentials_inside_text_need_redact_patterns(log_path):
    # Without patterns, text is captured as it is (and read no further than its cut).
    log, _ = record(log_path, lambda: [use(t) for t in CREDENTIAL_TEXTS[:2]])
    assert [c.args["token_copy"] for c in log.calls("use")] == CREDENTIAL_TEXTS[:2]


def test_a_credential_straddling_the_cut_is_redacted(log_path):
    text = "x" * 30 + " password=cut-through-0009 and more"
    far = "x" * 600 + " password=never-written-0010"  # past the cut and its reach
    log, _ = record(log_path, lambda: (use(text), use(far), use("alice")), redact=["password"],
                    max_value_bytes=36)
    first, second, _ = [c.args["token_copy"] for c in log.calls("use")]
    assert first == REDACTED
    assert second == argtrace.Truncated("x" * 36, len(far))
    assert_not_in_file(log_path, "cut-through")


def test_filter_tracing_redacts_credentials_inside_text(log_path):
    mod = __name__
    argtrace.start(log_path, redact=["password"], trace=[mod + ":echo"])
    try:
        for _ in range(3):  # echo is on the hot path from its second call
            echo("postgresql://app:filter-pw-0011@db/x")
            echo(("alice", "dsn=host=h password=filter-pw-0012"))
            echo("alice")
    finally:
        argtrace.stop()
    log = argtrace.load(log_path)
    pair = argtrace.Summary("tuple", 2, ["alice", REDACTED])
    assert [c.args["x"] for c in log.calls(mod + ".echo")] == [REDACTED, pair, "alice"] * 3
    assert_not_in_file(log_path, "filter-pw-0011", "filter-pw-0012")


def test_argv_credentials_inside_arguments_are_redacted(log_path):
    argv = ["app.py", "postgresql://scott:argv-pw-0013@h/db", "--url=https://a:argv-pw-0014@h/",
            "dsn=host=h password=argv-pw-0015 user=u", "--db", "sqlite:///x.db", "alice"]
    log, _ = record(log_path, lambda: use("argv-pw-0013"), argv=argv, redact=["password"])
    assert log.process.argv == ["app.py", "postgresql://scott:<redacted>@h/db",
                                "--url=https://a:<redacted>@h/",
                                "dsn=host=h password=<redacted> user=u", "--db",
                                "sqlite:///x.db", "alice"]
    assert only(log.calls("use")).args == {"token_copy": REDACTED}
    assert_not_in_file(log_path, "argv-pw-0013", "argv-pw-0014", "argv-pw-0015")


def test_credential_search_on_random_text(log_path):
    # Random text around an embedded credential, cut anywhere (the scan's bounds run under
    # ASan in CI's asanpy): the credential is always found; text without one is kept.
    import random
    rng = random.Random(16)
    noise = "ab:=/@&;,'\" \n\r#}?-_.x9"
    forms = ["password=%s", "https://u:%s@h/", "'password': '%s'", "\nPassword: %s\n"]
    texts, expected = [], []
    for i in range(400):
        def junk():
            return "".join(rng.choice(noise) for _ in range(rng.randrange(12)))
        if i % 2:
            texts.append(junk() + " " + rng.choice(forms) % ("rnd-secret-%04d" % i) + junk())
            expected.append(REDACTED)
        else:
            t = "".join(rng.choice("abc xyz./-_#}") for _ in range(rng.randrange(40)))
            texts.append(t)
            expected.append(t)
    texts += [noise[:k] for k in range(len(noise))]  # separators at every end of the text
    log, _ = record(log_path, lambda: [use(t) for t in texts + ["alice"]], redact=["password"])
    got = [c.args["token_copy"] for c in log.calls("use")]
    assert got[:400] == expected
    assert len(got) == len(texts) + 1
    assert_not_in_file(log_path, "rnd-secret-")


def test_credential_names_matched_by_glob_sets(log_path):
    # A pattern's characters inside a set ([abc]) are not all in a matching name: the quick
    # check before fnmatch must not ask for them.
    texts = ["passvord=set-secret-0016", "dsn=host=h api_key=set-secret-0017", "alice",
             "[=x]", "k=[", "word="]
    log, _ = record(log_path, lambda: [use(t) for t in texts],
                    redact=["pass[wv]ord", "[abcdefgh]pi_key", "[", "x[", "\\*"])
    got = [c.args["token_copy"] for c in log.calls("use")]
    assert got == [REDACTED, REDACTED, "alice", "[=x]", "k=[", "word="]
    assert_not_in_file(log_path, "set-secret")
