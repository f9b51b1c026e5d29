"""LogHandler: stdlib logging records as argtrace messages in the current span."""

import logging

from . import _core

__all__ = ["LogHandler"]


class LogHandler(logging.Handler):
    """A logging.Handler that attaches each record to the current call or action as a
    message: text = the record's message, fields = level, logger, module, line, function
    (and exc_type when the record carries an exception). It never raises, and does
    nothing while no session is active.

        logging.getLogger().addHandler(argtrace.LogHandler())
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if not _core.active():
                return
            try:
                text = record.getMessage()
            except Exception:  # a bad format string or a raising __str__ in args
                text = str(record.msg) if type(record.msg) is str else "<unformattable>"
            fields = {
                "level": record.levelname,
                "logger": record.name,
                "module": record.module,
                "line": record.lineno,
                "function": record.funcName,
            }
            if record.exc_info and record.exc_info[0] is not None:
                exc_type = record.exc_info[0]
                fields["exc_type"] = "%s.%s" % (exc_type.__module__, exc_type.__qualname__)
            _core.log(text, fields)
        except Exception:
            pass

    def handleError(self, record: logging.LogRecord) -> None:  # never print tracebacks from inside the tracer
        pass
