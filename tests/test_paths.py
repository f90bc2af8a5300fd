"""Default folders are absolute (never relative to the launch folder), and paths the app reports are absolute."""

from __future__ import annotations

from pathlib import Path

from test_app_helpers import make_app

from aria_desktop import paths
from aria_desktop.app.config import AppConfig
from aria_desktop.cli.options import DEFAULT_RECORDINGS


def test_defaults_are_the_checkout_recordings_or_the_user_data_folder(tmp_path, monkeypatch):
    checkout = Path(paths.__file__).resolve().parent.parent
    assert DEFAULT_RECORDINGS == checkout / "recordings" == AppConfig().out_dir  # the tests run from a checkout
    assert AppConfig().screenshot_dir == checkout / "screenshots"
    monkeypatch.setattr(paths, "_CHECKOUT", tmp_path / "site-packages")  # an installed package: no checkout
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert paths.data_root() == tmp_path / "data" / "aria"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert paths.data_root() == Path.home() / ".local" / "share" / "aria"


def test_a_relative_out_and_screenshots_are_reported_absolute(tmp_path, monkeypatch):
    from aria_desktop.cli import play

    monkeypatch.chdir(tmp_path)
    seen = {}

    class FakeApp:
        def __init__(self, config, mode, **params):
            seen["out_dir"] = config.out_dir
            self.saved = []

        def run(self):
            pass

    with monkeypatch.context() as patch:
        patch.setattr("aria_desktop.app.App", FakeApp)
        play.launch_app(out_dir=Path("mine"))
    assert seen["out_dir"] == tmp_path / "mine"

    app = make_app(tmp_path, "launcher", screenshot_dir=Path("shots"))  # relative: saved under the launch folder, reported absolute
    app.tick()
    path = app.screenshot()
    assert path is not None and f"Screenshot saved to {tmp_path / 'shots'}" in app.message
    app.close()
