"""camsweep: a handheld hidden-camera finder (IR lens glints, RTL-SDR sweep) for the Pi."""

__version__ = "0.1.0"
