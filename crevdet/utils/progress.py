"""Progress lines of the long-running tools (the demo, the transfer table, held-out tests, the
scaling study): one helper so they all read alike, ``[tag HH:MM:SS +elapsed] message``."""
import time


class ProgressLog:
    """A callable that prints ``[tag HH:MM:SS +MM:SS] message`` (``+H:MM:SS`` past an hour),
    flushed at once. The elapsed time counts from :meth:`start`, which a tool's ``main`` calls:
    a module imported minutes before its run (by a test, say) must not count that time."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.t0 = time.time()

    def start(self) -> None:
        self.t0 = time.time()

    def elapsed(self) -> str:
        m, s = divmod(int(time.time() - self.t0), 60)
        h, m = divmod(m, 60)
        return f'+{h}:{m:02d}:{s:02d}' if h else f'+{m:02d}:{s:02d}'

    def __call__(self, msg: str) -> None:
        print(f'[{self.tag} {time.strftime("%H:%M:%S")} {self.elapsed()}] {msg}', flush=True)
