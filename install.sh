#!/usr/bin/env bash
# Install camsweep. On a Raspberry Pi: system packages, I2C, the RTL-SDR dongle's udev rule
# and driver blacklist, a venv in /opt/camsweep, a `camsweep` service user and the systemd
# unit. On any other computer: a .venv in this checkout that runs the virtual room.
# Safe to run again: every step checks first and only does what is missing.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: ./install.sh [--pi | --host] [--dev] [--dry-run]

Installs camsweep. A Raspberry Pi is detected from the device tree; elsewhere the host
install runs (a .venv in this checkout, driven by the simulated hardware).

  --pi            install as a Raspberry Pi device (apt packages, I2C, udev rule, RTL
                  driver blacklist, venv in /opt/camsweep, `camsweep` user, systemd unit)
  --host          install for development on this computer, even on a Pi (.venv only)
  --dev           also install the test tools (pytest, ruff, mypy, shellcheck, ...)
  --dry-run       print every step without doing anything
  --print-config  print the /etc/camsweep/config.toml template written on a Pi, then exit
  -h, --help      show this help

Environment: PYTHON (host: the interpreter for .venv, default python3),
CAMSWEEP_DT_MODEL (a file to read the board model from instead of the device tree).
EOF
}

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Pi layout. systemd/camsweep.service's ExecStart must name "$PI_VENV/bin/camsweep".
PI_PREFIX=/opt/camsweep
PI_VENV="$PI_PREFIX/venv"
# A root-owned copy of this checkout, installed editable: the device keeps working when the
# checkout moves, builds never leave root-owned files in it, and models/ sits next to the
# package exactly as in a checkout.
PI_SRC="$PI_PREFIX/src"
SRC_EXCLUDES=(./.git ./.venv ./build ./dist ./out '*.egg-info' __pycache__ .pytest_cache .mypy_cache .ruff_cache)
PI_CONFIG_DIR=/etc/camsweep
PI_STATE_DIR=/var/lib/camsweep
SERVICE_USER=camsweep
SERVICE_GROUPS=(gpio i2c video plugdev)
UNIT_FILE=camsweep.service
UDEV_RULE=99-camsweep-rtlsdr.rules
BLACKLIST_CONF=camsweep-blacklist-rtl.conf
DVB_MODULE=dvb_usb_rtl28xxu

# apt packages for the device itself. picamera2/libcamera/lgpio come from the Raspberry Pi
# archive; numpy 1.24 and Pillow from apt are used through --system-site-packages.
PI_APT_PACKAGES=(
    python3-venv python3-numpy python3-scipy python3-pil python3-gpiozero python3-smbus2
    python3-picamera2 python3-libcamera python3-lgpio
    librtlsdr0 rtl-sdr i2c-tools
)
# RPi.GPIO cannot drive a Pi 5 (RP1); rpi-lgpio provides the same module on top of lgpio.
PI5_GPIO_PACKAGE=python3-rpi-lgpio
PI_GPIO_PACKAGE=python3-rpi.gpio

# Tools the test suite and .ci/run call (systemd provides systemd-analyze). Add packages
# here as tests come to need them.
DEV_APT_PACKAGES=(shellcheck systemd mosquitto chromium openscad)

# pyrtlsdr >= 0.4 needs rtlsdr_set_dithering, which Debian's librtlsdr 0.6.0 lacks.
PYRTLSDR_SPEC='pyrtlsdr<0.4'
# tflite-runtime has wheels for cp311 on x86_64/aarch64 only; ai-edge-litert covers newer
# Pythons. Both work with the numpy<2 pin in pyproject.toml.
TFLITE_FALLBACK=ai-edge-litert
PIP_FLAGS=(--disable-pip-version-check --no-input --progress-bar off --quiet)

MODE=auto
DEV=0
DRY_RUN=0
SUDO=()
NO_ROOT=0
APT_UPDATED=0
NEEDS_REBOOT=0

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

# Shell-quote ARG for display, leaving plain words (paths, options, a,b lists) bare.
quote_arg() {
    if [[ $1 =~ ^[A-Za-z0-9_@%+=:,./-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

# Print a command, then run it unless --dry-run.
run() {
    local arg line='+'
    for arg in "$@"; do
        line+=" $(quote_arg "$arg")"
    done
    printf '%s\n' "$line"
    if ((DRY_RUN)); then
        return 0
    fi
    "$@"
}

as_root() {
    run ${SUDO[@]+"${SUDO[@]}"} "$@"
}

skip() { printf -- '- skip: %s\n' "$*"; }

parse_args() {
    while (($#)); do
        case "$1" in
            --pi) [[ $MODE == host ]] && die "--pi and --host exclude each other"; MODE=pi ;;
            --host) [[ $MODE == pi ]] && die "--pi and --host exclude each other"; MODE=host ;;
            --dev) DEV=1 ;;
            --dry-run) DRY_RUN=1 ;;
            --print-config) config_template; exit 0 ;;
            -h | --help) usage; exit 0 ;;
            *)
                printf 'ERROR: unknown option %q; see ./install.sh --help\n' "$1" >&2
                exit 2
                ;;
        esac
        shift
    done
}

board_model() {
    local f
    for f in "${CAMSWEEP_DT_MODEL:-}" /proc/device-tree/model /sys/firmware/devicetree/base/model; do
        if [[ -n $f && -r $f ]]; then
            tr -d '\0' <"$f"
            return 0
        fi
    done
    return 0
}

setup_sudo() {
    if ((EUID != 0)) && command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    elif ((EUID != 0)); then
        NO_ROOT=1
    fi
}

need_root() {
    if ((NO_ROOT && !DRY_RUN)); then
        die "$1 needs root and sudo is not installed: run this script as root"
    fi
}

missing_apt_packages() {
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s\n' "$pkg"
        fi
    done
}

# apt-get install whichever of PACKAGES are missing (apt-get update once, first).
# Returns 2 when this computer has no apt; dies when apt itself fails.
apt_install() {
    local missing=()
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        if ((DRY_RUN)); then
            note "no apt on this computer; a Debian system would install: $*"
            return 0
        fi
        return 2
    fi
    mapfile -t missing < <(missing_apt_packages "$@")
    if ((${#missing[@]} == 0)); then
        skip "apt packages already installed: $*"
        return 0
    fi
    if ((${#missing[@]} < $#)); then
        local pkg present=()
        for pkg in "$@"; do
            [[ " ${missing[*]} " == *" $pkg "* ]] || present+=("$pkg")
        done
        skip "apt packages already installed: ${present[*]}"
    fi
    need_root "installing ${missing[*]}"
    if ((APT_UPDATED == 0)); then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update \
            || die "apt-get update failed (see above): check the network and the apt sources"
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
        || die "apt-get could not install ${missing[*]} (see above)"
}

# Install a config/unit file only when it differs from what is there.
install_file() {
    local src=$1 dest=$2 mode=$3
    if [[ -f $dest ]] && cmp -s "$src" "$dest"; then
        skip "$dest is up to date"
        return 1
    fi
    as_root install -D -m "$mode" "$src" "$dest"
}

# pip-install the package with EXTRAS into the venv whose python is PY, through RUNNER
# (run, or as_root for the Pi's root-owned venv). tflite-runtime has no wheel on some
# platforms/Pythons: then the same install without it, plus ai-edge-litert.
# Usage: pip_install_camsweep RUNNER PY TARGET EXTRAS [-e] [MORE_REQUIREMENTS...]
pip_install_camsweep() {
    local runner=$1 py=$2 target=$3 extras=$4
    shift 4
    local editable=()
    if [[ ${1:-} == -e ]]; then
        editable=(-e)
        shift
    fi
    local pip=("$py" -m pip install "${PIP_FLAGS[@]}")
    local fallback_extras
    fallback_extras=$(tr ',' '\n' <<<"$extras" | { grep -vx tflite || true; } | paste -sd, -)
    if ! "$runner" "${pip[@]}" "$@" ${editable[@]+"${editable[@]}"} "${target}[$extras]"; then
        warn "installing with tflite-runtime failed (no wheel for this platform/Python?); trying $TFLITE_FALLBACK"
        "$runner" "${pip[@]}" "$@" "$TFLITE_FALLBACK" \
            ${editable[@]+"${editable[@]}"} "${target}${fallback_extras:+[$fallback_extras]}" \
            || die "pip could not install camsweep into ${py%/bin/python}; see the pip error above"
    fi
    if ((DRY_RUN)); then
        note "(then, if neither tflite_runtime nor ai_edge_litert imports: pip install $TFLITE_FALLBACK)"
    elif ! "$py" -c 'import tflite_runtime' 2>/dev/null && ! "$py" -c 'import ai_edge_litert' 2>/dev/null; then
        "$runner" "${pip[@]}" "$@" "$TFLITE_FALLBACK" \
            || warn "no TFLite runtime for this platform: the lens classifier is unavailable"
    fi
}

venv_healthy() {
    local py=$1/bin/python
    [[ -x $py ]] \
        && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
        && "$py" -m pip --version >/dev/null 2>&1
}

check_python() {
    local py=$1 version fail=die
    ((DRY_RUN)) && fail=warn
    if ! command -v "$py" >/dev/null 2>&1; then
        "$fail" "$py not found: install Python 3.11 or newer, or set PYTHON=/path/to/python3.11"
        return 0
    fi
    version=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || "$fail" "camsweep needs Python >= 3.11 but $py is $version; set PYTHON=/path/to/python3.11"
}

install_host() {
    local python=${PYTHON:-python3}
    local venv="$REPO_DIR/.venv"
    local extras=tflite,fleet
    ((DEV)) && extras=tflite,fleet,dev

    say "Host install into $venv (virtual room, simulated hardware)"
    check_python "$python"
    if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
        # Debian's python3 ships venv/ensurepip separately.
        apt_install python3-venv \
            || die "$python cannot create venvs: install its venv module (Debian: apt install python3-venv)"
    fi
    if venv_healthy "$venv"; then
        skip "$venv exists and works"
    elif [[ -e $venv ]]; then
        run "$python" -m venv --clear "$venv"
    else
        run "$python" -m venv "$venv"
    fi
    pip_install_camsweep run "$venv/bin/python" "$REPO_DIR" "$extras" -e

    if ((DEV)); then
        say "Test tools"
        apt_install "${DEV_APT_PACKAGES[@]}" \
            || warn "no apt here: install ${DEV_APT_PACKAGES[*]} yourself (the tests call them)"
    fi

    say "Done. Next:"
    note ".venv/bin/camsweep demo           # a sweep of the virtual room"
    note ".venv/bin/camsweep demo --list    # the rooms to choose from"
    ((DEV)) && note ".venv/bin/python -m pytest        # the test suite"
    return 0
}

# Replace $PI_SRC with a copy of this checkout (without VCS data, venvs and caches).
sync_source() {
    local excludes=() pattern shown=''
    for pattern in "${SRC_EXCLUDES[@]}"; do
        excludes+=("--exclude=$pattern")
        shown+=" $(quote_arg "--exclude=$pattern")"
    done
    as_root rm -rf "$PI_SRC"
    as_root mkdir -p "$PI_SRC"
    printf '+ tar -C %s%s -cf - . | tar -C %s --no-same-owner -xf -\n' \
        "$(quote_arg "$REPO_DIR")" "$shown" "$PI_SRC"
    if ((!DRY_RUN)); then
        tar -C "$REPO_DIR" "${excludes[@]}" -cf - . \
            | ${SUDO[@]+"${SUDO[@]}"} tar -C "$PI_SRC" --no-same-owner -xf -
    fi
}

config_template() {
    cat <<'EOF'
# camsweep configuration for this device. Only the keys you set here override
# the packaged defaults; `camsweep config --show` prints the effective result and
# `camsweep config --check` validates this file. Written once by install.sh and
# never overwritten: your edits are kept when you reinstall.

[hal]
camera = "picamera2"      # the Pi camera through libcamera
sdr = "rtlsdr"            # the RTL-SDR dongle (librtlsdr)
display = "ssd1306"       # 128x64 OLED on I2C; "sh1106" for SH1106 modules (many 1.3", some 0.96")
gpio = "lgpio"            # IR ring, buzzer, buttons, vibration (every Pi model)

# [display]
# i2c_address = 0x3D      # if `i2cdetect -y 1` shows the OLED at 0x3D

# [pins]                  # BCM numbers, as wired (hardware/wiring.md)
# ir_ring = 18
# buzzer = 13

# [records]
# operator = ""
# room = ""
EOF
}

install_pi() {
    local model gpio_pkg config_txt
    model=$(board_model)
    if [[ $model == *"Raspberry Pi 5"* || $model == *"Compute Module 5"* ]]; then
        gpio_pkg=$PI5_GPIO_PACKAGE
    else
        gpio_pkg=$PI_GPIO_PACKAGE
    fi
    say "Raspberry Pi install (${model:-board model unknown; assuming a Pi <= 4})"
    need_root "the Pi install"

    say "System packages"
    apt_install "${PI_APT_PACKAGES[@]}" "$gpio_pkg" \
        || die "apt-get is required for the Pi install (Raspberry Pi OS Bookworm or newer)"
    if ((DEV)); then
        apt_install "${DEV_APT_PACKAGES[@]}" || die "apt-get is required for the Pi install"
    fi

    say "I2C and camera"
    if command -v raspi-config >/dev/null 2>&1 && [[ $(raspi-config nonint get_i2c 2>/dev/null) == 0 ]]; then
        skip "I2C is already enabled"
    elif command -v raspi-config >/dev/null 2>&1 || ((DRY_RUN)); then
        # Also loads i2c-dev and applies the dtparam now: no reboot needed.
        as_root raspi-config nonint do_i2c 0
    else
        warn "raspi-config not found: enable I2C with dtparam=i2c_arm=on in config.txt and load i2c-dev"
    fi
    config_txt=/boot/firmware/config.txt
    [[ -f $config_txt ]] || config_txt=/boot/config.txt
    if [[ -f $config_txt ]] && grep -q '^camera_auto_detect=0' "$config_txt"; then
        warn "$config_txt has camera_auto_detect=0: set it to 1, or add the dtoverlay for your camera"
    else
        note "Bookworm detects official cameras at boot (camera_auto_detect=1): nothing to enable"
    fi

    say "RTL-SDR dongle: keep the DVB-T driver off it, let group plugdev open it"
    install_file "$REPO_DIR/systemd/$BLACKLIST_CONF" "/etc/modprobe.d/$BLACKLIST_CONF" 0644 || true
    if grep -q "^$DVB_MODULE " /proc/modules 2>/dev/null; then
        as_root modprobe -r "$DVB_MODULE" \
            || { warn "$DVB_MODULE is in use; it goes away at the next reboot"; NEEDS_REBOOT=1; }
    else
        skip "$DVB_MODULE is not loaded"
    fi
    if install_file "$REPO_DIR/systemd/$UDEV_RULE" "/etc/udev/rules.d/$UDEV_RULE" 0644; then
        as_root udevadm control --reload-rules
        as_root udevadm trigger --subsystem-match=usb --attr-match=idVendor=0bda
    fi

    say "Service user $SERVICE_USER"
    local group
    for group in "${SERVICE_GROUPS[@]}"; do
        # The unit's SupplementaryGroups= fails to start if a group is missing.
        if getent group "$group" >/dev/null; then
            skip "group $group exists"
        else
            as_root groupadd --system "$group"
        fi
    done
    if getent passwd "$SERVICE_USER" >/dev/null; then
        skip "user $SERVICE_USER exists"
    else
        as_root useradd --system --user-group --home-dir "$PI_STATE_DIR" --no-create-home \
            --shell /usr/sbin/nologin --comment "camsweep daemon" "$SERVICE_USER"
    fi
    local member_of want=()
    member_of=" $(id -nG "$SERVICE_USER" 2>/dev/null || true) "
    for group in "${SERVICE_GROUPS[@]}"; do
        [[ $member_of == *" $group "* ]] || want+=("$group")
    done
    if ((${#want[@]})); then
        as_root usermod --append --groups "$(IFS=,; echo "${want[*]}")" "$SERVICE_USER"
    else
        skip "$SERVICE_USER is in ${SERVICE_GROUPS[*]}"
    fi
    if [[ -d $PI_STATE_DIR ]]; then
        skip "$PI_STATE_DIR exists"
    else
        as_root install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0700 "$PI_STATE_DIR"
    fi

    say "Python venv $PI_VENV (uses apt's picamera2, libcamera and numpy 1.24)"
    check_python /usr/bin/python3
    if venv_healthy "$PI_VENV" \
        && grep -q '^include-system-site-packages = true' "$PI_VENV/pyvenv.cfg"; then
        skip "$PI_VENV exists and works"
    else
        as_root /usr/bin/python3 -m venv --clear --system-site-packages "$PI_VENV"
    fi
    local extras=tflite,fleet
    ((DEV)) && extras=tflite,fleet,dev
    sync_source
    pip_install_camsweep as_root "$PI_VENV/bin/python" "$PI_SRC" "$extras" -e \
        --root-user-action=ignore "$PYRTLSDR_SPEC"
    if [[ $(readlink /usr/local/bin/camsweep 2>/dev/null) == "$PI_VENV/bin/camsweep" ]]; then
        skip "/usr/local/bin/camsweep links to the venv"
    else
        as_root ln -sfn "$PI_VENV/bin/camsweep" /usr/local/bin/camsweep
    fi

    say "Configuration $PI_CONFIG_DIR/config.toml"
    if [[ -e $PI_CONFIG_DIR/config.toml ]]; then
        skip "$PI_CONFIG_DIR/config.toml exists (never overwritten)"
    else
        printf '+ write %s (mode 0644) from this template:\n' "$PI_CONFIG_DIR/config.toml"
        config_template | sed 's/^/    | /'
        if ((!DRY_RUN)); then
            ${SUDO[@]+"${SUDO[@]}"} install -d -m 0755 "$PI_CONFIG_DIR"
            config_template | ${SUDO[@]+"${SUDO[@]}"} tee "$PI_CONFIG_DIR/config.toml" >/dev/null
            ${SUDO[@]+"${SUDO[@]}"} chmod 0644 "$PI_CONFIG_DIR/config.toml"
        fi
    fi

    say "systemd unit"
    install_file "$REPO_DIR/systemd/$UNIT_FILE" "/etc/systemd/system/$UNIT_FILE" 0644 || true
    if [[ -d /run/systemd/system ]] || ((DRY_RUN)); then
        as_root systemctl daemon-reload
    else
        skip "systemd is not running here: no daemon-reload"
    fi
    if systemctl is-enabled --quiet "$UNIT_FILE" 2>/dev/null; then
        skip "$UNIT_FILE is enabled"
    else
        as_root systemctl enable "$UNIT_FILE"
    fi

    say "Done. Next:"
    if systemctl is-active --quiet "$UNIT_FILE" 2>/dev/null; then
        note "sudo systemctl restart camsweep   # the running daemon still has the old code"
    fi
    ((NEEDS_REBOOT)) && note "sudo reboot                       # unloads the DVB-T driver"
    note "camsweep selftest                 # checks each part, says what to fix"
    note "sudo systemctl start camsweep     # then it starts at every boot"
    note "journalctl -u camsweep -f         # the daemon's log"
    ((DEV)) && note "$PI_VENV/bin/python -m pytest   # the tests, from this checkout"
    return 0
}

main() {
    parse_args "$@"
    setup_sudo
    if [[ $MODE == auto ]]; then
        if [[ $(board_model) == *"Raspberry Pi"* ]]; then MODE=pi; else MODE=host; fi
    fi
    ((DRY_RUN)) && say "Dry run: printing the steps, changing nothing"
    if [[ $MODE == pi ]]; then install_pi; else install_host; fi
}

main "$@"
