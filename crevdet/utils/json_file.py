"""Writing a small JSON file atomically: a reader (a resumed study, a pause from another shell)
sees the old content or the new, never half of it."""
import json
import os


def write_json_atomic(path: str, data) -> None:
    """``data`` as indented JSON at ``path``, through ``<path>.tmp`` and a rename."""
    with open(path + '.tmp', 'w') as f:
        json.dump(data, f, indent=1)
    os.replace(path + '.tmp', path)
