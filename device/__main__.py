"""`python -m device` is the `camsweep` command."""

from device.cli import main

raise SystemExit(main())
