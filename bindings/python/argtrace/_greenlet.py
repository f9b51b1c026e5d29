"""greenlet (gevent, eventlet): each greenlet's calls are a tree of their own callers. A
switch leaves calls open in the greenlet that leaves: without this they would look like the
callers of what the next greenlet runs, and that greenlet's returns would not find their
calls. greenlet tells of every switch through the trace function of its thread
(greenlet.settrace); ours suspends the leaving greenlet's calls (SUSPEND records: their
active time stops, as a generator's at a yield) and resumes those of the greenlet switched
to, and passes the event on to the trace function it replaced.

A greenlet that runs for the first time starts a tree of its own, as a thread does: the
greenlet that switched to it is suspended while it runs, so it is no caller. Installed in
the thread that starts the session (where gevent's hub runs), now if greenlet is imported,
else when the program imports it."""
import weakref

from . import _core

_saved = weakref.WeakKeyDictionary()  # greenlet -> _core.switch_out() of its last switch
_FIRST = ((), 0, 0, 0)  # a greenlet's first run: no call of it suspended, no current span
_previous = None  # the trace function ours replaced in that thread
_installed = False


def _trace(event, args):
    if event in ("switch", "throw"):
        try:
            origin, target = args
            state = _core.switch_out()
            if not origin.dead:  # (a finished greenlet's calls have all ended)
                _saved[origin] = state
            _core.switch_in(*_saved.pop(target, _FIRST))
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
