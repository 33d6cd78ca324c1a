"""Writing a return's or a pack's files to a directory for the commands."""

import os
import tempfile
from pathlib import Path


def write_files_atomically(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write every file into a temporary directory beside the targets, then move each into place,
    so a failure part-way never leaves a half-written file where a finished one is expected."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".staging-") as staging:
        for name, content in files.items():
            (Path(staging) / name).write_bytes(content)
        for name in files:
            os.replace(Path(staging) / name, out_dir / name)
