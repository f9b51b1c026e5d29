/*
 * sigexc.h — exceptions raised by Python signal handlers while the tracer runs user code
 * (a repr, a registered summarizer): they are not the callback's failure but the program's,
 * and must reach the program as they would untraced.
 */
#ifndef ATR_PY_SIGEXC_H
#define ATR_PY_SIGEXC_H

/*
 * With an exception set by user code the tracer called: if it is KeyboardInterrupt,
 * SystemExit, or an exception that went through a Python signal handler's frame, take it
 * (clearing the error) and have the interpreter raise it again in the program at its next
 * bytecode (a pending call, run by the main thread: where signal handlers run and where the
 * exception would have surfaced untraced), and return 1. Otherwise leave it and return 0.
 * Needs the GIL.
 */
int atr__sigexc_defer(void);

#endif
