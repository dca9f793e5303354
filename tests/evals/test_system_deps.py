"""``evals/sandbox/system_deps.sh`` (``make system-deps``) with the binaries absent from PATH.

The script runs under a PATH holding only what it uses (bash and a few coreutils, symlinked) and a
stand-in package manager (``APT_GET``) that records its arguments, the environment it got and whether
the service guard (``POLICY_RC_D``) was in place — and what it answered — at each call.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "evals" / "sandbox" / "system_deps.sh"
TOOLS = ("bash", "env", "tee", "chmod", "rm", "id", "cat")
SYSTEM_BINARIES = ("prometheus", "promtool", "prometheus-alertmanager", "initdb", "chromium")


def _which(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is needed to run the test"
    return found


class Sandbox:
    """A PATH of symlinked tools, a recording package manager and a guard location in ``root``."""

    def __init__(self, root: Path, apt_exit: int = 0) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        for tool in TOOLS:
            (self.bin / tool).symlink_to(_which(tool))
        self.log = root / "apt.log"
        self.guard = root / "etc" / "policy-rc.d"
        self.guard.parent.mkdir()
        self.apt = root / "apt-get"
        bash = _which("bash")
        self.apt.write_text(
            f"#!{bash}\n"
            "state=absent; answer=none\n"
            'if [ -e "$POLICY_RC_D" ]; then state=present; "$POLICY_RC_D" start x; answer=$?; fi\n'
            'printf "%s|guard=%s|answer=%s|frontend=%s\\n" "$*" "$state" "$answer" '
            '"${DEBIAN_FRONTEND:-}" >> "$APT_LOG"\n'
            f'if [ "$1" = install ]; then exit {apt_exit}; fi\n'
        )
        self.apt.chmod(0o755)

    def provide(self, *names: str) -> None:
        """Put stand-in executables for these system binaries on the PATH."""
        for name in names:
            path = self.bin / name
            path.write_text(f"#!{_which('bash')}\nexit 0\n")
            path.chmod(0o755)

    def run(self) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": str(self.bin),
            "APT_GET": str(self.apt),
            "APT_LOG": str(self.log),
            "SUDO": "",
            "POLICY_RC_D": str(self.guard),
            "PG_BIN_GLOB": str(self.root / "postgresql" / "*" / "bin"),
        }
        return subprocess.run(
            [str(self.bin / "bash"), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
        )

    def calls(self) -> list[dict[str, str]]:
        if not self.log.exists():
            return []
        rows = []
        for line in self.log.read_text().splitlines():
            argv, *fields = line.split("|")
            rows.append({"argv": argv, **dict(f.split("=", 1) for f in fields)})
        return rows


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    return Sandbox(tmp_path)


def test_installs_every_missing_package_after_update_with_the_guard_in_place(box: Sandbox) -> None:
    done = box.run()

    assert done.returncode == 0, done.stderr
    calls = box.calls()
    assert [c["argv"].split()[0] for c in calls] == ["update", "install"]
    install = calls[1]["argv"].split()
    assert "--no-install-recommends" in install and "-y" in install
    assert install[-4:] == ["prometheus", "prometheus-alertmanager", "postgresql", "chromium"]
    assert all(c["guard"] == "present" and c["answer"] == "101" for c in calls)
    assert calls[1]["frontend"] == "noninteractive"
    assert not box.guard.exists(), "the guard must be removed after the install"
    assert "installed prometheus prometheus-alertmanager postgresql chromium" in done.stdout


def test_only_missing_packages_are_installed(box: Sandbox) -> None:
    box.provide("prometheus", "promtool", "prometheus-alertmanager", "chromium")
    (box.root / "postgresql" / "16" / "bin").mkdir(parents=True)

    assert box.run().returncode == 0
    assert [c["argv"] for c in box.calls()][-1].split()[-1] == "postgresql"

    (box.root / "postgresql" / "16" / "bin" / "initdb").touch()
    box.log.unlink()
    (box.bin / "promtool").unlink()  # prometheus without promtool: the package ships both
    assert box.run().returncode == 0
    install = box.calls()[-1]["argv"].split()
    assert install[0] == "install" and install[-1] == "prometheus" and "postgresql" not in install


def test_an_existing_policy_rc_d_is_left_untouched(box: Sandbox) -> None:
    own = "#!/bin/sh\n# the administrator's own policy\nexit 0\n"
    box.guard.write_text(own)
    box.guard.chmod(0o700)

    assert box.run().returncode == 0
    assert box.guard.read_text() == own
    assert box.guard.stat().st_mode & 0o777 == 0o700
    assert all(c["guard"] == "present" and c["answer"] == "0" for c in box.calls())


def test_nothing_is_installed_when_every_binary_is_present(box: Sandbox) -> None:
    box.provide(*SYSTEM_BINARIES)

    done = box.run()

    assert done.returncode == 0
    assert "system packages present" in done.stdout
    assert box.calls() == []
    assert not box.guard.exists()


def test_a_failed_install_fails_and_still_removes_the_guard(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, apt_exit=100)

    done = box.run()

    assert done.returncode == 100
    assert [c["argv"].split()[0] for c in box.calls()] == ["update", "install"]
    assert box.calls()[1]["guard"] == "present"
    assert not box.guard.exists()
    assert "installed" not in done.stdout.replace("installing", "")


def test_an_interrupted_install_removes_the_guard(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    bash = _which("bash")
    # the stand-in hangs in `install` until the script is terminated
    box.apt.write_text(f'#!{bash}\nif [ "$1" = install ]; then touch "$APT_LOG.started"; exec sleep 30; fi\n')
    (box.bin / "sleep").symlink_to(_which("sleep"))
    (box.bin / "touch").symlink_to(_which("touch"))
    env = {
        "PATH": str(box.bin),
        "APT_GET": str(box.apt),
        "APT_LOG": str(box.log),
        "SUDO": "",
        "POLICY_RC_D": str(box.guard),
        "PG_BIN_GLOB": str(box.root / "none"),
    }
    proc = subprocess.Popen([bash, str(SCRIPT)], env=env, start_new_session=True)
    try:
        for _ in range(200):
            if Path(f"{box.log}.started").exists():
                break
            time.sleep(0.05)
        assert box.guard.exists()
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        assert proc.wait(timeout=20) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not box.guard.exists()
