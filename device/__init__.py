"""camsweep: a handheld hidden-camera finder (IR lens glints, RTL-SDR sweep) for the Pi."""

import os

# The two detector threads each keep a core busy; BLAS threads on top of them only contend
# (measured 1.5-2.5x slower rendering and DSP). Must be set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
