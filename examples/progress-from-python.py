"""Reports progress to longshore from Python: one JSON object per line on the ProgressPipe's path.

Usage: python3 progress-from-python.py PROGRESS_PATH STEPS
Run in longshore/python by examples/progress-from-python.ts; needs only the standard library.
"""
import json
import os
import sys
import time


def main(progress_path: str, steps: int) -> None:
    # One open for all lines. Python buffers a pipe in blocks, so each line is flushed: without it
    # the host would see every line at once, when the file closes.
    with open(progress_path, "w", encoding="utf-8") as progress:
        for step in range(1, steps + 1):
            time.sleep(0.1)  # the work of one step
            line = {"current": step, "total": steps, "message": f"step {step} of {steps} in Python"}
            progress.write(json.dumps(line) + "\n")
            progress.flush()
    version = ".".join(map(str, sys.version_info[:3]))
    print(f"python {version} (pid {os.getpid()}) reported {steps} steps")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} PROGRESS_PATH STEPS")
    main(sys.argv[1], int(sys.argv[2]))
