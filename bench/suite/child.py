"""Entry point of the suite's child processes: `child.py CASE ARGS...` prints one JSON line.

Each measurement that runs a tracer happens in a child, so a crashing tool fails its case
instead of the suite, and a tool's global state (profile hooks, buffers) never leaks into the
next case.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    case = sys.argv[1]
    if case == "whole":
        import case_whole
        case_whole.child(sys.argv[2:])
    elif case == "decorator":
        import case_decorator
        case_decorator.child(sys.argv[2:])
    elif case == "selective":
        import case_selective
        case_selective.child(sys.argv[2:])
    elif case == "logsize":
        import case_logsize
        case_logsize.child(sys.argv[2:])
    elif case == "memory":
        import case_memory
        case_memory.child(sys.argv[2:])
    else:
        sys.exit("child.py: unknown case %s" % case)


if __name__ == "__main__":
    main()
