"""mitmdump addon for the replay test: the proxy reaches 127.0.0.1 only. Anything else (Chromium's own
background requests) is answered by the proxy itself, so no other host is ever looked up or connected to."""

from mitmproxy import http


def refuse_others(flow: http.HTTPFlow) -> None:
    if flow.request.host != "127.0.0.1":
        flow.response = http.Response.make(403, b"only 127.0.0.1 is reachable in this test")


def http_connect(flow: http.HTTPFlow) -> None:
    refuse_others(flow)


def request(flow: http.HTTPFlow) -> None:
    refuse_others(flow)
