"""Regenerate models/glint.tflite: render, extract, label, train, evaluate, export.

    python -m venv /tmp/trainvenv
    /tmp/trainvenv/bin/pip install 'numpy<2' scikit-image flatbuffers tflite-runtime
    /tmp/trainvenv/bin/pip install -e .
    /tmp/trainvenv/bin/python -m models.train            # about 15 minutes on one core

Training data: random virtual-room scenes (device/sim) over real photographs bundled with
scikit-image (TRAIN_PHOTOS) and the room's own texture, with every distractor kind; the
candidates are extracted by the runtime detector and labelled from ground truth. Evaluation
uses other photographs (EVAL_PHOTOS) and other seeds. Everything is seeded and numpy's BLAS
runs single-threaded, so the same command writes the same model.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # single-threaded BLAS: bit-for-bit reproducible sums

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from device.config import load  # noqa: E402
from device.vision.tflite import TfliteModel  # noqa: E402
from models import dataset, evaluate, nn, photos, tflite_writer  # noqa: E402

log = logging.getLogger("models.train")

HERE = Path(__file__).resolve().parent
TRAIN_SEED = 20261128
EVAL_SEED = 77_000_001  # never used for training
TOUR_SEED = 100  # clean_hotel_room tours 100-102 (the benchmark sweeps use 900 and up)
ARCH = {"c1": 12, "c2": 24, "hidden": 48}
NEG_PER_KIND = 6000  # cap per negative kind so bags and tape do not drown the rest
MAX_SIZE_BYTES = 200 * 1024
LENS_WEIGHT = 0.65  # share of the loss carried by lens patches


def _balance(ds: dataset.Dataset, rng: np.random.Generator) -> np.ndarray:
    """Indices to train on: every lens, at most NEG_PER_KIND of each negative kind."""
    _, _, y = ds.arrays()
    keep = list(np.flatnonzero(y == 1))
    kinds = np.asarray(ds.kinds)
    for kind in sorted(set(ds.kinds) - {"lens"}):
        idx = np.flatnonzero((kinds == kind) & (y == 0))
        if len(idx) > NEG_PER_KIND:
            idx = np.sort(rng.choice(idx, NEG_PER_KIND, replace=False))
        keep += list(idx)
    return np.sort(np.asarray(keep))


def _augment(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lenses also as quarter turns and a mirror image: a glint has no preferred orientation."""
    p = x[y == 1]
    extra = [np.rot90(p, 1, axes=(1, 2)), np.rot90(p, 2, axes=(1, 2)),
             np.rot90(p, 3, axes=(1, 2)), p[:, :, ::-1]]
    return np.concatenate([x, *extra]), np.concatenate([y, np.ones(4 * len(p))])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "glint.tflite")
    ap.add_argument("--metrics", type=Path, default=HERE / "eval" / "metrics.json")
    ap.add_argument("--scenes", type=int, default=2000, help="training scenes (4 pairs each)")
    ap.add_argument("--eval-scenes", type=int, default=450)
    ap.add_argument("--tour-pairs", type=int, default=900, help="pairs along the room tours")
    ap.add_argument("--epochs", type=int, default=28)
    ap.add_argument("--quick", action="store_true", help="tiny run to check the pipeline")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.quick:
        args.scenes, args.eval_scenes, args.epochs, args.tour_pairs = 30, 15, 2, 6
    cfg = load().vision
    started = time.time()

    log.info("rendering %d training scenes over %s", args.scenes, ", ".join(photos.TRAIN_PHOTOS))
    train_ds = dataset.generate(cfg, list(photos.load_split("train").values()), args.scenes,
                                TRAIN_SEED)
    log.info("rendering %d pairs along the clean hotel room's own tours", args.tour_pairs)
    dataset.generate_tour(cfg, "clean_hotel_room", TOUR_SEED, args.tour_pairs, train_ds)
    log.info("rendering %d evaluation scenes over %s", args.eval_scenes,
             ", ".join(photos.EVAL_PHOTOS))
    eval_ds = dataset.generate(cfg, list(photos.load_split("eval").values()), args.eval_scenes,
                               EVAL_SEED)
    x_all, _, y_all = train_ds.arrays()
    rng = np.random.default_rng(TRAIN_SEED)
    sel = _balance(train_ds, rng)
    x, y = _augment(x_all[sel], y_all[sel])
    pos = y.mean()
    # Lenses weigh more than the rest: this channel must not miss, the tracker removes most of
    # the extra false candidates this lets through.
    weights = np.where(y == 1, LENS_WEIGHT / pos, (1 - LENS_WEIGHT) / (1 - pos))
    log.info("training on %d patches (%d lenses before augmentation) from %d candidates",
             len(y), int(y_all[sel].sum()), len(y_all))

    params = nn.init_params(x.shape[1:], ARCH["c1"], ARCH["c2"], ARCH["hidden"],  # type: ignore[arg-type]
                            rng, dtype=np.float32)
    losses = nn.train(params, x, y, weights, args.epochs, 256, rng)
    log.info("loss per epoch: %s", " ".join(f"{v:.4f}" for v in losses))

    size = tflite_writer.write(params, args.out, half=True,
                               description=f"camsweep glint classifier, float16, arch {ARCH}")
    model = TfliteModel(args.out, num_threads=1)
    x_eval, _, _ = eval_ds.arrays()
    scores = model.predict(x_eval.astype(np.float32))[:, 0].astype(np.float64)
    drift = float(np.max(np.abs(scores - nn.predict(params, x_eval.astype(np.float64)))))
    train_scores = model.predict(x_all.astype(np.float32))[:, 0].astype(np.float64)
    metrics = {
        "model": args.out.name, "bytes": size, "float16": True, "architecture": ARCH,
        "parameters": params.n_params(), "input": list(model.sample_shape),
        "train_photos": list(photos.TRAIN_PHOTOS), "eval_photos": list(photos.EVAL_PHOTOS),
        "train_seed": TRAIN_SEED, "eval_seed": EVAL_SEED, "epochs": args.epochs,
        "final_loss": round(losses[-1], 5), "tflite_vs_numpy_max_abs": round(drift, 6),
        "train": evaluate.report(train_ds, train_scores, cfg.min_score),
        "eval": evaluate.report(eval_ds, scores, cfg.min_score),
        "minutes": round((time.time() - started) / 60, 1),
    }
    args.metrics.parent.mkdir(parents=True, exist_ok=True)
    args.metrics.write_text(json.dumps(metrics, indent=1) + "\n")
    log.info("wrote %s (%d bytes) and %s", args.out, size, args.metrics)
    print(json.dumps(metrics["eval"], indent=1))
    if size > MAX_SIZE_BYTES:
        print(f"model is {size} bytes, over the {MAX_SIZE_BYTES} byte budget", file=sys.stderr)
        return 1
    if drift > 0.02:
        print(f"TFLite and numpy outputs differ by {drift:.4f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
