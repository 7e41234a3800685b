"""Asks Debian's mitmproxy (8.1.1, run with /usr/bin/python3) about flow files flowtx wrote.

  peer.py check FILE        every record loads with FlowReader and its state equals the record as written
  peer.py dump FILE         one JSON line per flow: its state as mitmproxy loaded it (bytes as hex)
  peer.py filter FILE       reads a JSON list of filter expressions on stdin; prints {expression: [ids of
                            the flows it matches]} (null when mitmproxy rejects it), evaluated as mitmdump's
                            readfile filter is: flowfilter.parse, then the filter on each flow as read
  peer.py tree -            reads a JSON list of filter expressions on stdin; prints a JSON list of their
                            parse trees ([kind, ...]), null for the ones mitmproxy rejects
  peer.py serve             answers "check" and "dump" requests, one JSON line each ({"command", "file"})
                            on stdin, with one JSON line each ({"status", "out"}) on stdout, so a test file
                            pays for starting Python and importing mitmproxy once
"""
import contextlib
import io as text_io
import json
import sys

from mitmproxy import flowfilter, io
from mitmproxy.io import tnetstring


def plain(value):
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def records(path):
    with open(path, "rb") as f:
        while True:
            try:
                yield tnetstring.load(f)
            except ValueError:
                return


def check(path):
    with open(path, "rb") as f:
        flows = list(io.FlowReader(f).stream())
    written = list(records(path))
    if len(flows) != len(written):
        print(f"count: mitmproxy read {len(flows)} flows, the file holds {len(written)} records")
        return 1
    for i, (flow, record) in enumerate(zip(flows, written)):
        state = flow.get_state()
        if plain(state) != plain(record):
            for key in sorted(set(state) | set(record)):
                if plain(state.get(key)) != plain(record.get(key)):
                    print(f"flow #{i}: {key}: mitmproxy has {json.dumps(plain(state.get(key)))[:300]}, the file {json.dumps(plain(record.get(key)))[:300]}")
            return 1
    print(f"ok {len(flows)}")
    return 0


def dump(path):
    with open(path, "rb") as f:
        for flow in io.FlowReader(f).stream():
            print(json.dumps(plain(flow.get_state()), sort_keys=True))
    return 0


def parsed(expressions):
    for expression in expressions:
        try:
            yield expression, flowfilter.parse(expression)
        except ValueError:
            yield expression, None


def filter_flows(path):
    filters = list(parsed(json.load(sys.stdin)))
    matched = {expression: (None if flt is None else []) for expression, flt in filters}
    with open(path, "rb") as f:
        for flow in io.FlowReader(f).stream():
            for expression, flt in filters:
                if flt is not None and flt(flow):
                    matched[expression].append(flow.id)
    print(json.dumps(matched))
    return 0


def tree(node):
    if isinstance(node, (flowfilter.FAnd, flowfilter.FOr)):
        return ["and" if isinstance(node, flowfilter.FAnd) else "or"] + [tree(n) for n in node.lst]
    if isinstance(node, flowfilter.FNot):
        return ["not", tree(node.itm)]
    if hasattr(node, "num"):
        return [node.code, node.num]
    if hasattr(node, "expr"):
        return [node.code, node.expr]
    return [node.code]


def trees(_):
    print(json.dumps([None if flt is None else tree(flt) for _, flt in parsed(json.load(sys.stdin))]))
    return 0


def serve():
    for line in sys.stdin:
        request = json.loads(line)
        out = text_io.StringIO()
        with contextlib.redirect_stdout(out):
            status = {"check": check, "dump": dump}[request["command"]](request["file"])
        sys.stdout.write(json.dumps({"status": status, "out": out.getvalue()}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        sys.exit(serve())
    sys.exit({"check": check, "dump": dump, "filter": filter_flows, "tree": trees}[sys.argv[1]](sys.argv[2]))
