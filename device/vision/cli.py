"""`camsweep analyze-frames`: score the glint candidates of one captured ON/OFF frame pair."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from device.config import config_path_from_env, load
from device.hal.base import PartError
from device.hal.imageio import ImageReadError
from device.tomlmodel import ModelError
from device.vision.classifier import GlintClassifier, resolve_model_path
from device.vision.offline import FramePairError, analyze_pair, load_pair


def register(sub: Any) -> None:
    """Add the `analyze-frames` subcommand to the camsweep parser."""
    p = sub.add_parser(
        "analyze-frames",
        help="find lens glints in one ON/OFF frame pair (PNG/JPEG, 8- or 16-bit)",
        description="Difference a frame taken with the IR ring ON against one taken with it "
                    "OFF, and score every spot that is bright only with the ring ON.",
    )
    p.add_argument("--on", required=True, type=Path, help="frame taken with the ring ON")
    p.add_argument("--off", required=True, type=Path, help="frame taken with the ring OFF")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per candidate per line: x, y, radius_px, score, label")
    p.add_argument("--model", type=Path, help="classifier .tflite (default: vision.model_path)")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"camsweep analyze-frames: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    try:
        cfg = load(config_path_from_env(getattr(args, "config", None))).vision
        on, off = load_pair(args.on, args.off)
        model = args.model or resolve_model_path(cfg.model_path)
        classifier = GlintClassifier(model, cfg.num_threads, cfg.patch_px)
        detections = analyze_pair(on, off, cfg, classifier)
    except (ImageReadError, FramePairError, ModelError, PartError) as exc:
        return _fail(str(exc))
    if args.json:
        for d in detections:
            print(json.dumps({"x": d.x, "y": d.y, "radius_px": d.radius_px, "score": d.score,
                              "label": d.label}))
        return 0
    lenses = sum(d.label == "lens" for d in detections)
    print(f"{len(detections)} candidate(s), {lenses} scored as a lens "
          f"(score >= {cfg.min_score}) in {on.shape[1]}x{on.shape[0]} frames")
    for d in detections:
        print(f"  {d.label:<5} score {d.score:.3f}  at x={d.x:.0f} y={d.y:.0f}  "
              f"radius {d.radius_px:.1f} px  peak {d.peak:.0f}")
    return 0
