"""A CloudEvent function for functions-framework that appends each event it gets to a file.

Run by the push test as `python -m functions_framework --source <this file> --target sink
--signature-type cloudevent`; CE_SINK_PATH names the file (one JSON object per line).
"""

import json
import os

import functions_framework
from cloudevents.http import CloudEvent


@functions_framework.cloud_event
def sink(event: CloudEvent) -> None:
    record = {"attributes": dict(event.get_attributes()), "data": event.data}
    with open(os.environ["CE_SINK_PATH"], "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
