"""The `camsweep` command line: demo, run, selftest, config, and the offline analysers."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

from device import __version__
from device.config import Config, config_path_from_env, load
from device.records.store import StoreError
from device.tomlmodel import ModelError, to_dict

log = logging.getLogger("camsweep")

SIM_BACKENDS = {"camera": "sim", "sdr": "sim", "display": "dummy", "gpio": "mock"}
# Offline commands live with their detectors; each module adds its own subcommand.
COMMAND_MODULES = ("device.vision.cli", "device.rf.cli", "device.calibrate")


def _load_config(args: argparse.Namespace, overrides: dict[str, Any] | None = None) -> Config:
    return load(config_path_from_env(getattr(args, "config", None)), overrides)


def cmd_config(args: argparse.Namespace) -> int:
    cfg = _load_config(args)
    if args.show:
        print(_as_toml(to_dict(cfg)))
    else:
        source = config_path_from_env(args.config)
        print(f"config OK ({source or 'built-in defaults'})")
    return 0


def _as_toml(tree: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, table in tree.items():
        lines.append(f"[{section}]")
        for key, value in table.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    return "\n".join(lines)


def _state_dir(args: argparse.Namespace, cfg: Config) -> Path:
    from device.records.store import default_state_dir

    return Path(args.state_dir) if args.state_dir else default_state_dir(cfg.device.state_dir)


def _open_recorder(args: argparse.Namespace, cfg: Config) -> Any:
    """The sweep log for this run, or None when records are off (`records.enabled`)."""
    from device.records.recorder import Recorder
    from device.records.store import Store

    if not cfg.records.enabled or getattr(args, "no_record", False):
        return None
    state_dir = _state_dir(args, cfg)
    store = Store.open(state_dir)
    store.purge_older_than(cfg.records.retention_days)
    outbox = None
    if cfg.mqtt.enabled:
        from device.records.mqtt import Outbox, Publisher, Topics

        topics = Topics(cfg.mqtt, cfg.device.id)
        outbox = Outbox(store, topics, cfg.mqtt.discovery)
        publisher = Publisher(cfg.mqtt, state_dir, topics)
        publisher.start()
        _CLOSERS.append(publisher.close)
    return Recorder(store, cfg.records.keep_full_frames, outbox)


# Background services started for one command, closed when it ends (the MQTT publisher).
_CLOSERS: list[Any] = []


def _close_services() -> None:
    while _CLOSERS:
        _CLOSERS.pop()()


def cmd_history(args: argparse.Namespace) -> int:
    from device.records.store import Store

    cfg = _load_config(args)
    with Store.open(_state_dir(args, cfg)) as store:
        rows = store.sweeps(limit=args.limit, room=args.room)
        if not rows:
            print(f"no sweeps recorded yet in {store.state_dir}")
            return 0
        print(
            f"{'id':>5}  {'started (UTC)':<25} {'room':<14} {'status':<11} {'verdict':<10} findings"
        )
        for r in rows:
            n = len(store.findings(r.id))
            print(
                f"{r.id:>5}  {r.started_at:<25} {(r.room or r.scenario)[:14]:<14} "
                f"{r.status:<11} {r.verdict or '-':<10} {n}"
            )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from device.records import export
    from device.records.store import Store

    cfg = _load_config(args)
    with Store.open(_state_dir(args, cfg)) as store:
        if args.sweep_id is not None:
            rows = [store.sweep(args.sweep_id)]
        else:
            rows = store.sweeps(limit=args.limit, room=args.room, since=args.since)
        render = {"html": export.to_html, "json": export.to_json, "csv": export.to_csv}
        text = render[args.format](store, rows)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.format.upper()} report of {len(rows)} sweep(s) to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from device.sim.scenario import list_scenarios, load_scenario
    from device.sim.world import World

    if args.list:
        for name, description in list_scenarios():
            print(f"{name:<26} {description}")
        return 0
    source = args.scenario_file or args.scenario
    overrides: dict[str, Any] = {"hal": dict(SIM_BACKENDS)}
    if args.duration is not None:
        overrides["sim"] = {"duration_s": args.duration}
    cfg = _load_config(args, overrides)
    scenario = load_scenario(source or cfg.sim.scenario)
    seed = args.seed if args.seed is not None else cfg.sim.seed
    world = World(scenario, seed)
    recorder = _open_recorder(args, cfg)
    try:
        report, frames = _run_demo(
            cfg, world, scenario.name, want_frames=bool(args.oled_gif), recorder=recorder
        )
    finally:
        if recorder is not None:
            recorder.store.close()
    if args.oled_gif:
        _write_gif(frames, Path(args.oled_gif))
    print(report.to_json() if args.json else report.to_text())
    return 0


def _run_demo(
    cfg: Config, world: Any, name: str, want_frames: bool, recorder: Any = None
) -> tuple[Any, list[Any]]:
    from device.app import Daemon

    # A simulated part cannot be re-plugged: one failure ends that channel's sweep.
    daemon = Daemon(
        cfg, world=world, scenario_name=name, virtual_time=True, recorder=recorder, give_up_after=1
    )
    step_s = 1.0 / cfg.ui.refresh_hz
    next_frame_s = 0.0
    daemon.start()
    if daemon.view is not None:
        daemon.view.record_frames = want_frames
    try:
        while not daemon.sources_finished():
            daemon.pump(0.05)
            if not daemon.workers:
                break
            if daemon.view is not None and daemon.t_s >= next_frame_s:
                daemon.view.render()
                next_frame_s = daemon.t_s + step_s
    finally:
        report = daemon.finish()
    if daemon.view is not None:
        daemon.view.render()
    return report, daemon.view.frames if daemon.view else []


def _write_gif(frames: list[Any], path: Path) -> None:
    if not frames:
        raise SystemExit("camsweep: no OLED frames were drawn, so there is no GIF to write")
    images = [f.convert("L").resize((256, 128)) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=200, loop=0)
    print(f"wrote {len(images)} OLED frames to {path}", file=sys.stderr)


def cmd_run(args: argparse.Namespace) -> int:
    from device.app import Daemon

    cfg = _load_config(args)
    notify = _systemd_notifier()
    world = None
    if "sim" in (cfg.hal.camera, cfg.hal.sdr):
        from device.sim.scenario import load_scenario
        from device.sim.world import World

        world = World(load_scenario(cfg.sim.scenario), cfg.sim.seed)
    daemon = Daemon(
        cfg, world=world, scenario_name=cfg.sim.scenario if world else "", notify=notify
    )

    def _terminate(signum: int, _frame: Any) -> None:
        log.info("signal %d: stopping", signum)
        daemon.stop_event.set()

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    daemon.start()
    next_render = 0.0
    try:
        while not daemon.stop_event.is_set():
            daemon.pump(0.05)
            if daemon.sources_finished():
                break
            now = time.monotonic()
            if daemon.view is not None and now >= next_render:
                daemon.view.render()
                next_render = now + 1.0 / cfg.ui.refresh_hz
    finally:
        report = daemon.finish()
        if daemon.recorder is not None:
            daemon.recorder.store.close()
    print(report.to_text())
    return 0


def _systemd_notifier() -> Any:
    try:
        import sdnotify
    except ImportError:
        return None
    notifier = sdnotify.SystemdNotifier()
    return notifier.notify


def cmd_selftest(args: argparse.Namespace) -> int:
    from device.selftest import print_results, run_selftest

    cfg = _load_config(args)
    results = run_selftest(cfg)
    print_results(results, sys.stdout)
    return 0 if all(r.ok for r in results) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="camsweep", description="Find hidden cameras: IR lens glints and RF emitters."
    )
    parser.add_argument("--version", action="version", version=f"camsweep {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    parser.add_argument("--config", help="config file (default /etc/camsweep/config.toml)")
    parser.add_argument(
        "--state-dir",
        help="where sweep records live (default: $CAMSWEEP_STATE_DIR, then "
        "/var/lib/camsweep under systemd, else ~/.local/state/camsweep)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the whole device on a virtual room")
    p.add_argument("scenario", nargs="?", help="built-in scenario name (see --list)")
    p.add_argument("--scenario-file", help="load a scenario TOML file from anywhere")
    p.add_argument("--list", action="store_true", help="list the built-in scenarios")
    p.add_argument("--seed", type=int, help="random seed of the virtual room")
    p.add_argument("--duration", type=float, help="sweep length in simulated seconds")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--oled-gif", metavar="PATH", help="write the OLED screens as a GIF")
    p.add_argument("--no-record", action="store_true", help="do not add this sweep to the log")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("run", help="run the daemon with the configured hardware")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("selftest", help="check every hardware part and say how to fix it")
    p.set_defaults(func=cmd_selftest)

    p = sub.add_parser("history", help="list recent sweeps from the log")
    p.add_argument("--room", help="only this room")
    p.add_argument("--limit", type=int, default=30, help="how many sweeps (default 30)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("report", help="write a report of one sweep, a room, or a period")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("sweep_id", nargs="?", type=int, help="sweep number from history")
    which.add_argument("--room", help="every sweep of this room")
    which.add_argument("--since", metavar="DATE", help="every sweep since DATE (YYYY-MM-DD)")
    p.add_argument("--format", choices=("html", "json", "csv"), default="html")
    p.add_argument("-o", "--output", metavar="PATH", help="file to write (default: stdout)")
    p.add_argument("--limit", type=int, default=1000, help="at most this many sweeps")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("config", help="validate or print the effective configuration")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="validate (the default)")
    group.add_argument("--show", action="store_true", help="print the effective config")
    p.set_defaults(func=cmd_config)

    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            log.debug("%s not available: %s", module_name, exc)
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ModelError as exc:
        print(f"camsweep: configuration error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"camsweep: sweep log: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        _close_services()
