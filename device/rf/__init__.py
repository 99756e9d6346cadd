"""The RF channel: RTL-SDR sweep, learned noise floor + CFAR, emitters, room baseline.

See docs/rf.md. `COVERAGE_NOTE` is the sentence shown wherever RF results are reported.
"""

from device.rf.bands import COVERAGE_NOTE

__all__ = ["COVERAGE_NOTE"]
