"""Check Eliot log files with the real Python tools.

For each file given: every line is a JSON object; eliot.parse.Parser rebuilds
every task and every one of them is complete; eliot-tree exits 0 and renders
every task. Prints one line per file and exits non-zero if any check failed.

Usage: python check_logs.py [--expect-incomplete] FILE.log...
"""

import json
import os
import subprocess
import sys

from eliot.parse import Parser


def check(path, expect_complete=True):
    problems = []
    uuids = []
    parser = Parser()
    completed = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.endswith("\n"):
                problems.append(f"line {number} is not newline-terminated")
            try:
                message = json.loads(line)
            except ValueError as e:
                problems.append(f"line {number} is not JSON: {e}")
                continue
            if not isinstance(message, dict):
                problems.append(f"line {number} is not a JSON object")
                continue
            uuid = message.get("task_uuid")
            if uuid not in uuids:
                uuids.append(uuid)
            done, parser = parser.add(message)
            completed.extend(done)
    incomplete = parser.incomplete_tasks()
    if expect_complete and incomplete:
        for task in incomplete:
            problems.append(f"task {task.root().task_uuid} is incomplete")
    if not uuids:
        problems.append("the log is empty")
    if expect_complete and len(completed) != len(uuids):
        problems.append(f"{len(completed)} complete tasks for {len(uuids)} task UUIDs")

    tree_bin = os.path.join(os.path.dirname(sys.executable), "eliot-tree")
    result = subprocess.run(
        [tree_bin, path], capture_output=True, text=True, encoding="utf-8"
    )
    if result.returncode != 0:
        problems.append(f"eliot-tree exited {result.returncode}: {result.stderr.strip()[-500:]}")
    else:
        missing = [u for u in uuids if u not in result.stdout]
        if missing:
            problems.append(f"eliot-tree did not render tasks {missing[:5]}")
    return len(uuids), len(completed), problems


def main(argv):
    expect_complete = True
    if argv and argv[0] == "--expect-incomplete":
        expect_complete = False
        argv = argv[1:]
    if not argv:
        print("usage: check_logs.py [--expect-incomplete] FILE.log...", file=sys.stderr)
        return 2
    failed = False
    for path in argv:
        tasks, complete, problems = check(path, expect_complete)
        status = "ok" if not problems else "FAILED"
        print(f"{status}: {path}: {tasks} tasks, {complete} complete (eliot.parse), eliot-tree rendered")
        for problem in problems:
            print(f"    {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
