"""An exclusive lock on a run folder, so two ``align llm run`` never issue the same calls.

The lock is the file ``.lock`` in the run folder, created with ``O_CREAT | O_EXCL`` and
holding the owner's process id and host name. It is removed on exit. A lock left by a
process that crashed (SIGKILL, power loss) is stale: its pid no longer runs on this host,
and the next run takes it over.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from types import TracebackType

__all__ = ["RunLock", "RunLocked"]

LOCK_NAME = ".lock"


class RunLocked(RuntimeError):
    """The run folder is locked by another live process."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    """``with RunLock(folder):`` holds the folder's lock; raises :class:`RunLocked` when a
    live process holds it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d, RunLock(Path(d)) as lock:
    ...     lock.path.exists()
    True
    """

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._held = False

    def acquire(self) -> RunLock:
        """Take the lock (a stale one is taken over) or raise :class:`RunLocked`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is not None and owner.get("pid") == os.getpid():
                    msg = f"{self.path.parent} is already locked by this process"
                    raise RunLocked(msg) from None
                if owner is not None and self._live(owner):
                    raise RunLocked(
                        f"{self.path.parent} is in use by process {owner['pid']} on "
                        f"{owner.get('host', '?')}; wait for it to finish or stop it "
                        f"(a lock left by a crash is detected and taken over)"
                    ) from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(fd, "w") as fh:
                json.dump(me, fh)
            self._held = True
            return self
        raise RunLocked(f"could not lock {self.path.parent}")

    def _owner(self) -> dict[str, object] | None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None  # half-written or vanished: treated as stale
        return data if isinstance(data, dict) else None

    @staticmethod
    def _live(owner: dict[str, object]) -> bool:
        pid = owner.get("pid")
        if not isinstance(pid, int):
            return False
        if owner.get("host") not in (None, socket.gethostname()):
            return True  # another machine's process: cannot be checked, assume live
        return _alive(pid)

    def release(self) -> None:
        """Remove the lock if this object holds it."""
        if self._held:
            self.path.unlink(missing_ok=True)
            self._held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
