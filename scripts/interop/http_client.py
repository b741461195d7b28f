"""A Python client whose Eliot task continues in the service it calls.

Usage: python http_client.py HOST:PORT LOG_FILE NAME...

One task "py:client"; for each NAME a "py:call" action that sends
GET /users/NAME with the action's serialized task id in the x-eliot-task-id
header, and records the status. Appends its Eliot log to LOG_FILE and prints
one line per call: "NAME STATUS BODY".
"""

import http.client
import sys

from eliot import FileDestination, add_destinations, start_action


def main(address, log_path, names):
    host, _, port = address.rpartition(":")
    with open(log_path, "ab") as log:
        add_destinations(FileDestination(file=log))
        with start_action(action_type="py:client", calls=len(names)):
            for name in names:
                with start_action(action_type="py:call", name=name) as call:
                    task_id = call.serialize_task_id().decode("ascii")
                    connection = http.client.HTTPConnection(host, int(port), timeout=10)
                    connection.request("GET", f"/users/{name}", headers={"x-eliot-task-id": task_id})
                    response = connection.getresponse()
                    body = response.read().decode("utf-8")
                    connection.close()
                    call.addSuccessFields(status=response.status)
                    print(name, response.status, body, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
