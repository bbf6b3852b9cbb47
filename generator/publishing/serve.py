"""`sovereign serve`: the site as an author edits it, rebuilt on every change and reloaded.

The site engine's own server (`mkdocs serve` or `zensical serve`, in a child process) serves
`docs_dir` and reloads the browser when a page there changes. This process watches the
question files and `sovereign.yml` (watchdog) and, when one changes, writes the pages again
as a preview build does (`build --no-site --no-pdf --preview`, in this process, so the
models stay loaded between edits); the engine notices the new pages, rebuilds the site and
reloads the page the author is looking at.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from generator.inputs.settings import SETTINGS_FILE, Settings

QUIET_SECONDS = 0.5  # wait this long after the last change before building (an editor's save
# is often several writes)


def engine_command(root: Path, settings: Settings, addr: str) -> list[str]:
    """The engine's live-reloading server for the project at `root`."""
    if settings.site.engine == "zensical":
        from generator.publishing.engines.zensical import write_config

        copy = write_config(root, settings, root / settings.paths.site_dir)
        return [sys.executable, "-m", "zensical", "serve", "-f", str(copy), "-a", addr]
    config = root / settings.paths.mkdocs_config
    return [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", addr]


class Watch:
    """Calls `rebuild` once things have been quiet for QUIET_SECONDS after a change to a
    question file or the settings file."""

    def __init__(self, root: Path, settings: Settings, rebuild: Callable[[list[str]], None]):
        self.root, self.rebuild = root, rebuild
        self.questions = (root / settings.paths.questions).resolve()
        self.settings_file = (root / SETTINGS_FILE).resolve()
        self.changed: set[str] = set()
        self.wake = threading.Event()
        self.lock = threading.Lock()

    def relevant(self, path: str) -> bool:
        target = Path(path).resolve()
        if target == self.settings_file:
            return True
        return target.is_relative_to(self.questions) and target.suffix in (".yaml", ".yml")

    def saw(self, *paths: str) -> None:
        for path in paths:
            if path and self.relevant(path):
                with self.lock:
                    self.changed.add(os.path.relpath(path, self.root))
                self.wake.set()

    def run(self, until: Callable[[], bool]) -> None:
        """Watch until `until()` is true (checked every second)."""
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        watch = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("created", "modified", "moved", "deleted"):
                    watch.saw(str(event.src_path), str(getattr(event, "dest_path", "") or ""))

        observer = Observer()
        observer.schedule(Handler(), str(self.questions), recursive=True)
        observer.schedule(Handler(), str(self.root), recursive=False)
        observer.start()
        try:
            while not until():
                if not self.wake.wait(1.0):
                    continue
                while self.wake.wait(QUIET_SECONDS):  # let a burst of writes settle
                    self.wake.clear()
                with self.lock:
                    paths, self.changed = sorted(self.changed), set()
                if paths:
                    self.rebuild(paths)
        finally:
            observer.stop()
            observer.join()


def serve(root: Path, settings: Settings, addr: str, build: Callable[[], int]) -> int:
    """Build the pages, start the engine's server, rebuild on every change; until Ctrl-C or
    the server stops. `build` writes the pages (a preview build without the site)."""
    build()
    command = engine_command(root, settings, addr)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    server = subprocess.Popen(command, cwd=root, env=env)
    print(
        f"serving http://{addr}/ with {settings.site.engine}; watching "
        f"{settings.paths.questions}/ and {SETTINGS_FILE} (Ctrl-C stops)",
        flush=True,
    )

    def rebuild(paths: list[str]) -> None:
        print(f"changed: {', '.join(paths)} — writing the pages again", flush=True)
        build()

    def stop(*_: object) -> None:
        raise KeyboardInterrupt  # a SIGTERM (a service manager, `kill`) stops as Ctrl-C does

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        Watch(root, settings, rebuild).run(until=lambda: server.poll() is not None)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0 if server.returncode in (0, -15, None) else 1
