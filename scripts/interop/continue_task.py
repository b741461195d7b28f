"""Continue a task started by Rust, and start one for Rust to continue.

Usage: python continue_task.py RUST_TASK_ID LOG_FILE

Appends to LOG_FILE: an eliot:remote_task action continuing RUST_TASK_ID with a
message inside, then a new task "py:request" whose serialized task id is
printed on stdout (the task stays open until a line "done" arrives on stdin,
so that Rust continues it while it is still running, as a real caller would).
"""

import sys

from eliot import Action, FileDestination, add_destinations, log_message, start_action


def main(rust_task_id, log_path):
    with open(log_path, "ab") as log:
        add_destinations(FileDestination(file=log))
        with Action.continue_task(task_id=rust_task_id):
            log_message(message_type="py:handled", language="python")
        with start_action(action_type="py:request", language="python") as action:
            print(action.serialize_task_id().decode("ascii"), flush=True)
            assert sys.stdin.readline().strip() == "done"
            log_message(message_type="py:after_rust")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
