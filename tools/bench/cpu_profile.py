#!/usr/bin/env python3
"""Run a script under cProfile counting CPU time, not wall time.

``python tools/bench/cpu_profile.py OUT.prof SCRIPT [ARGS...]``

``python -m cProfile`` charges a function with the wall time it took; on a
machine shared with other work (the scale bench's daemons on two loaded
cores) that is mostly time spent waiting for a core, a green thread's
switch or the database, and it hides where the process burns CPU.  Here
the clock is the process's CPU time (``time.process_time``).  The stats
are written when the script ends, also on SIGINT (KeyboardInterrupt) as
the scale bench stops profiled daemons.
"""

import cProfile
import runpy
import sys
import time


def main():
    """Profile ``SCRIPT`` with ``ARGS``; write the stats to ``OUT``."""
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out, script = sys.argv[1], sys.argv[2]
    sys.argv = sys.argv[2:]
    profiler = cProfile.Profile(time.process_time)
    try:
        profiler.runcall(runpy.run_path, script, run_name='__main__')
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        profiler.dump_stats(out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
