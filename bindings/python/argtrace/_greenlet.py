"""greenlet (gevent, eventlet): each greenlet's calls are a tree of their own callers. A
switch leaves calls open in the greenlet that leaves: without this they would look like the
callers of what the next greenlet runs, and that greenlet's returns would not find their
calls. greenlet tells of every switch through the trace function of its thread
(greenlet.settrace); ours suspends the leaving greenlet's calls (SUSPEND records: their
active time stops, as a generator's at a yield) and resumes those of the greenlet switched
to, and passes the event on to the trace function it replaced.

A greenlet that runs for the first time is a child of the call that switched to it:
SQLAlchemy's greenlet_spawn runs the ORM's sync code that way, under the coroutine that
called it; gevent's hub switches to new greenlets, and they take the span the hub runs under
(usually none: trees of their own). Installed in the thread that starts the session (where
gevent's hub runs), now if greenlet is imported, else when the program imports it."""
import weakref

from . import _core

# id(greenlet) -> [a weak reference to it, _core.switch_out() of its last switch or None]:
# the reference is made once per greenlet (its callback drops the entry when the greenlet
# goes); a weak mapping would make one on every switch.
_saved = {}
_previous = None  # the trace function ours replaced in that thread
_installed = False


def _live(g):
    """g's entry, or None (none yet, or one left by a greenlet gone at the same address)."""
    entry = _saved.get(id(g))
    return entry if entry is not None and entry[0]() is g else None


def _entry(g):
    entry = _live(g)
    if entry is not None:
        return entry
    key = id(g)

    def gone(ref):
        if _saved.get(key, (None,))[0] is ref:
            del _saved[key]

    entry = _saved[key] = [weakref.ref(g, gone), None]
    return entry


def _trace(event, args):
    if event in ("switch", "throw"):
        try:
            origin, target = args
            state, first = _core.switch_out()
            if not origin.dead:  # (a finished greenlet's calls have all ended)
                _entry(origin)[1] = state
            entry = _live(target)
            if entry is not None and entry[1] is not None:
                first, entry[1] = entry[1], None
            _core.switch_in(*first)
        except Exception:
            pass  # the program's switch goes on as untraced
    if _previous is not None:
        _previous(event, args)


def install(greenlet):
    """Our trace function in this thread, once (greenlet: the imported module)."""
    global _previous, _installed
    if _installed:
        return
    _previous = greenlet.settrace(_trace)
    _installed = True
